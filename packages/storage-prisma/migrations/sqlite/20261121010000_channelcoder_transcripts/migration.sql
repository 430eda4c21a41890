-- CreateTable
CREATE TABLE "channelcoder_transcript_lines" (
    "session_name" TEXT NOT NULL,
    "claude_session_id" TEXT NOT NULL,
    "line" INTEGER NOT NULL,
    "entry" TEXT NOT NULL,

    PRIMARY KEY ("session_name", "claude_session_id", "line"),
    CONSTRAINT "channelcoder_transcript_lines_session_name_fkey" FOREIGN KEY ("session_name") REFERENCES "channelcoder_sessions" ("name") ON DELETE CASCADE ON UPDATE CASCADE
);
