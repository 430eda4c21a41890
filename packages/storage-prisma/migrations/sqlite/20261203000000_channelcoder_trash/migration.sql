-- CreateTable
CREATE TABLE "channelcoder_trash" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "trashed_at" DATETIME NOT NULL,
    "expires_at" DATETIME NOT NULL,
    "reason" TEXT NOT NULL,
    "entry" TEXT NOT NULL
);

-- CreateIndex
CREATE INDEX "channelcoder_trash_listing_idx" ON "channelcoder_trash"("trashed_at" DESC, "id");
