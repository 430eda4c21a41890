-- CreateTable
CREATE TABLE "channelcoder_leases" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "token" INTEGER NOT NULL,
    "holder" TEXT NOT NULL,
    "expires_at" DATETIME NOT NULL
);
