-- A JSON text holding the escape \u0000 is valid JSON but cannot become jsonb (PostgreSQL text holds no NUL
-- character: error 22P05, untranslatable_character), so the words function failed and with it the write of
-- such a transcript line or message. Such a document is now indexed like one that is not JSON: by its text
-- alone (where the escape is six plain characters). Results for every other document are unchanged, so the
-- search indexes stay valid.
CREATE OR REPLACE FUNCTION "channelcoder_search_words"("document" TEXT) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE COST 10000
AS $$
DECLARE "strings" TEXT;
BEGIN
  BEGIN
    SELECT string_agg("value" #>> '{}', ' ') INTO "strings"
      FROM jsonb_path_query("document"::jsonb, 'strict $.** ? (@.type() == "string")') AS "value";
  EXCEPTION WHEN invalid_text_representation OR untranslatable_character THEN
    "strings" := NULL;
  END;
  RETURN to_tsvector('simple'::regconfig, regexp_replace("document" || ' ' || coalesce("strings", ''), '[^[:alnum:]]+', ' ', 'g'));
END
$$;
