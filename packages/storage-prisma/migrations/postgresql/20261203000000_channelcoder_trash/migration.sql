-- CreateTable
CREATE TABLE "channelcoder_trash" (
    "id" TEXT COLLATE "C" NOT NULL,
    "name" TEXT COLLATE "C" NOT NULL,
    "trashed_at" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "reason" TEXT NOT NULL,
    "entry" TEXT NOT NULL,

    CONSTRAINT "channelcoder_trash_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "channelcoder_trash_listing_idx" ON "channelcoder_trash"("trashed_at" DESC, "id");

-- The search indexes forget trashed sessions: their rows are renamed to `~trash~<id>` (a name no session
-- can have) and leave these partial indexes; search() queries with the same condition.
DROP INDEX "channelcoder_messages_search_idx";

CREATE INDEX "channelcoder_messages_search_idx" ON "channelcoder_messages" USING GIN ("channelcoder_search_words"("content")) WHERE "session_name" NOT LIKE '~trash~%';

DROP INDEX "channelcoder_transcript_lines_search_idx";

CREATE INDEX "channelcoder_transcript_lines_search_idx" ON "channelcoder_transcript_lines" USING GIN ("channelcoder_search_words"("entry")) WHERE "session_name" NOT LIKE '~trash~%';
