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
