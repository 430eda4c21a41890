-- Full-text search (channelcoder session search). A text's words: runs of letters and digits, lower case
-- (the 'simple' configuration: no stemming, no stop words).
CREATE FUNCTION "channelcoder_search_text"("body" TEXT) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT to_tsvector('simple'::regconfig, regexp_replace("body", '[^[:alnum:]]+', ' ', 'g')) $$;

-- The words of a stored JSON document (a message, a transcript line): its text as stored and every string
-- value in it (so escaped characters do not join words). Written out in full, without calling the function
-- above: Prisma names tables with their schema and leaves search_path alone, so only built-ins resolve.
-- A row whose text is not JSON (a damaged line, which reading reports as corrupt) is indexed by its text
-- alone, so it neither blocks this index's creation nor the write that stored it.
CREATE FUNCTION "channelcoder_search_words"("document" TEXT) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE "strings" TEXT;
BEGIN
  BEGIN
    SELECT string_agg("value" #>> '{}', ' ') INTO "strings"
      FROM jsonb_path_query("document"::jsonb, 'strict $.** ? (@.type() == "string")') AS "value";
  EXCEPTION WHEN invalid_text_representation THEN
    "strings" := NULL;
  END;
  RETURN to_tsvector('simple'::regconfig, regexp_replace("document" || ' ' || coalesce("strings", ''), '[^[:alnum:]]+', ' ', 'g'));
END
$$;

-- CreateIndex
CREATE INDEX "channelcoder_messages_search_idx" ON "channelcoder_messages" USING GIN ("channelcoder_search_words"("content"));

-- CreateIndex
CREATE INDEX "channelcoder_transcript_lines_search_idx" ON "channelcoder_transcript_lines" USING GIN ("channelcoder_search_words"("entry"));
