-- Full-text search (channelcoder session search). A text's words: runs of letters and digits, lower case
-- (the 'simple' configuration: no stemming, no stop words).
CREATE FUNCTION "channelcoder_search_text"("body" TEXT) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT to_tsvector('simple'::regconfig, regexp_replace("body", '[^[:alnum:]]+', ' ', 'g')) $$;

-- The words of a stored JSON document (a message, a transcript line): its text as stored and every string
-- value in it (so escaped characters do not join words). Written out in full, without calling the function
-- above: Prisma names tables with their schema and leaves search_path alone, so only built-ins resolve.
CREATE FUNCTION "channelcoder_search_words"("document" TEXT) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT to_tsvector('simple'::regconfig, regexp_replace("document" || ' ' || coalesce((SELECT string_agg("value" #>> '{}', ' ') FROM jsonb_path_query("document"::jsonb, 'strict $.** ? (@.type() == "string")') AS "value"), ''), '[^[:alnum:]]+', ' ', 'g')) $$;

-- CreateIndex
CREATE INDEX "channelcoder_messages_search_idx" ON "channelcoder_messages" USING GIN ("channelcoder_search_words"("content"));

-- CreateIndex
CREATE INDEX "channelcoder_transcript_lines_search_idx" ON "channelcoder_transcript_lines" USING GIN ("channelcoder_search_words"("entry"));
