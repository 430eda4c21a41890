-- The words function, computed for every message and transcript line a write stores, skips the JSON walk
-- (a jsonb parse, a path query and the subtransaction of its exception block) for documents without a
-- backslash. Such a document has no escape, so every string value in it appears in its text as it is,
-- between quotes: the words of its string values are words of its text already, and the text's words are
-- the whole result. Results (the set of words, which is what the GIN indexes hold) are unchanged for every
-- document, so the search indexes stay valid. Documents with a backslash take the full path as before.
CREATE OR REPLACE FUNCTION "channelcoder_search_words"("document" TEXT) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE COST 10000
AS $$
DECLARE "strings" TEXT;
BEGIN
  IF strpos("document", E'\\') = 0 THEN
    RETURN to_tsvector('simple'::regconfig, regexp_replace("document", '[^[:alnum:]]+', ' ', 'g'));
  END IF;
  BEGIN
    SELECT string_agg("value" #>> '{}', ' ') INTO "strings"
      FROM jsonb_path_query("document"::jsonb, 'strict $.** ? (@.type() == "string")') AS "value";
  EXCEPTION WHEN invalid_text_representation OR untranslatable_character THEN
    "strings" := NULL;
  END;
  RETURN to_tsvector('simple'::regconfig, regexp_replace("document" || ' ' || coalesce("strings", ''), '[^[:alnum:]]+', ' ', 'g'));
END
$$;
