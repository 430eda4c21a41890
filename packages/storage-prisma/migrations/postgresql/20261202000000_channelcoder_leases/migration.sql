-- CreateTable
CREATE TABLE "channelcoder_leases" (
    "name" TEXT COLLATE "C" NOT NULL,
    "token" INTEGER NOT NULL,
    "holder" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "channelcoder_leases_pkey" PRIMARY KEY ("name")
);
