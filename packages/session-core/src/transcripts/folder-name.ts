/**
 * The CLI's rule for the folder a conversation's transcript is filed under:
 * `<config dir>/projects/<folder>/<claude session id>.jsonl`, `<folder>` derived from the cwd. Pure.
 */

/** Folder names longer than this are cut and get a hash suffix (as the CLI does). */
export const MAX_PROJECT_FOLDER_LENGTH = 200;

/** The 32-bit Java-style string hash (`h = 31 * h + charCode`, wrapping), over UTF-16 code units. */
export function javaStyleHash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = ((h << 5) - h + text.charCodeAt(i)) | 0;
  return h;
}

/**
 * The folder name the CLI uses for a working directory: every character outside `[A-Za-z0-9]` becomes
 * `-` (each UTF-16 code unit, so an emoji becomes `--`); a result longer than 200 characters is cut to its
 * first 200 characters + `-` + `Math.abs(javaStyleHash(cwd)).toString(36)` (the hash of the raw cwd).
 */
export function projectFolderName(cwd: string): string {
  const sanitized = cwd.replace(/[^A-Za-z0-9]/g, '-');
  if (sanitized.length <= MAX_PROJECT_FOLDER_LENGTH) return sanitized;
  return `${sanitized.slice(0, MAX_PROJECT_FOLDER_LENGTH)}-${Math.abs(javaStyleHash(cwd)).toString(36)}`;
}
