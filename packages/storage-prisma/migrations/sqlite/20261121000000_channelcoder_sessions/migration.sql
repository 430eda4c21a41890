-- CreateTable
CREATE TABLE "channelcoder_sessions" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "revision" INTEGER NOT NULL,
    "head" TEXT NOT NULL,
    "created" DATETIME NOT NULL,
    "last_active" DATETIME NOT NULL,
    "message_count" INTEGER NOT NULL,
    "last_message_id" TEXT,
    "total_cost_usd" REAL NOT NULL
);

-- CreateTable
CREATE TABLE "channelcoder_messages" (
    "session_name" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "content" TEXT NOT NULL,

    PRIMARY KEY ("session_name", "sequence"),
    CONSTRAINT "channelcoder_messages_session_name_fkey" FOREIGN KEY ("session_name") REFERENCES "channelcoder_sessions" ("name") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "channelcoder_sessions_listing_idx" ON "channelcoder_sessions"("last_active" DESC, "name");
