-- AlterTable
ALTER TABLE "channelcoder_transcript_lines" ADD COLUMN "uuid" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "channelcoder_transcript_lines_uuid_key" ON "channelcoder_transcript_lines"("session_name", "claude_session_id", "uuid");
