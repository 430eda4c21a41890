-- list({ projectKey }): the Claude Code project folder name of each session's `metadata.cwd`, written by
-- every save ('' for a session without a cwd). Rows stored before this migration keep NULL; the first listing
-- by project fills them in from their heads (in batches), so they are found all the same.
-- AlterTable
ALTER TABLE "channelcoder_sessions" ADD COLUMN "project_key" TEXT COLLATE "C";

-- CreateIndex
CREATE INDEX "channelcoder_sessions_project_idx" ON "channelcoder_sessions"("project_key", "last_active" DESC, "name");
