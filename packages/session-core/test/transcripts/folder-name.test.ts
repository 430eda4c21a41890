import { describe, expect, it } from 'vitest';
import { javaStyleHash, projectFolderName } from '../../src/transcripts/folder-name.js';

describe("the CLI's transcript folder name for a cwd", () => {
  it('replaces every character outside [A-Za-z0-9] with "-"', () => {
    expect(projectFolderName('/home/user/my_project.v2')).toBe('-home-user-my-project-v2');
    expect(projectFolderName('/tmp/é ✨')).toBe('-tmp----'); // é is one code unit, ✨ one, the space one
    expect(projectFolderName('/tmp/😀')).toBe('-tmp---'); // an astral character is two code units
  });

  it('keeps names of exactly 200 characters as they are', () => {
    const cwd = `/${'a'.repeat(199)}`;
    expect(projectFolderName(cwd)).toBe(`-${'a'.repeat(199)}`);
  });

  it('cuts longer names to 200 characters + "-" + the base-36 Java hash of the raw cwd', () => {
    const cwd = `/${'deep/'.repeat(60)}end`;
    const name = projectFolderName(cwd);
    expect(name.slice(0, 200)).toBe(cwd.replace(/[^A-Za-z0-9]/g, '-').slice(0, 200));
    expect(name.slice(200)).toBe(`-${Math.abs(javaStyleHash(cwd)).toString(36)}`);
    // Two long paths sharing their first 200 characters still get different folders.
    expect(projectFolderName(`${cwd}-other`)).not.toBe(name);
  });

  it('hashes like Java String.hashCode (32-bit wrap-around)', () => {
    expect(javaStyleHash('')).toBe(0);
    expect(javaStyleHash('a')).toBe(97);
    expect(javaStyleHash('hello')).toBe(99162322);
    // The classic Java example whose hashCode() is Integer.MIN_VALUE.
    expect(javaStyleHash('polygenelubricants')).toBe(-2147483648);
  });
});
