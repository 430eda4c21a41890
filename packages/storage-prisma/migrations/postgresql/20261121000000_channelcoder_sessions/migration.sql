-- CreateTable
CREATE TABLE "channelcoder_sessions" (
    "name" TEXT COLLATE "C" NOT NULL,
    "revision" INTEGER NOT NULL,
    "head" TEXT NOT NULL,
    "created" TIMESTAMP(3) NOT NULL,
    "last_active" TIMESTAMP(3) NOT NULL,
    "message_count" INTEGER NOT NULL,
    "last_message_id" TEXT,
    "total_cost_usd" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "channelcoder_sessions_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "channelcoder_messages" (
    "session_name" TEXT COLLATE "C" NOT NULL,
    "sequence" INTEGER NOT NULL,
    "content" TEXT NOT NULL,

    CONSTRAINT "channelcoder_messages_pkey" PRIMARY KEY ("session_name","sequence")
);

-- CreateIndex
CREATE INDEX "channelcoder_sessions_listing_idx" ON "channelcoder_sessions"("last_active" DESC, "name");

-- AddForeignKey
ALTER TABLE "channelcoder_messages" ADD CONSTRAINT "channelcoder_messages_session_name_fkey" FOREIGN KEY ("session_name") REFERENCES "channelcoder_sessions"("name") ON DELETE CASCADE ON UPDATE CASCADE;
