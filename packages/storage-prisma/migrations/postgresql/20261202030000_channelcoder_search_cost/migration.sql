-- The words of a stored document are costly to compute (a JSON walk in PL/pgSQL): say so to the planner, so
-- that it finds matching rows through the GIN indexes (combined with other indexes) instead of computing the
-- words of every row of a session it reached by another index.
ALTER FUNCTION "channelcoder_search_words"(TEXT) COST 10000;
