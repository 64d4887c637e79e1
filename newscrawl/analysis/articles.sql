-- newscrawl output as two DuckDB views: articles (every record) and articles_latest.
--
-- Column types are declared from newscrawl/schema/article.schema.json, never sniffed
-- (a test checks that they match). Set the output root, then read this file:
--
--   duckdb -cmd "SET VARIABLE newscrawl_out = 'out/demo'" -c ".read articles.sql" ...
--
-- The files read are those newscrawl export reads: published batches, plain and gzip,
-- <root>/<site>/<YYYY-MM-DD>/<run>-NNNN.jsonl[.gz]; not rejects (in rejects/), not the hidden
-- temp files of batches being written (.<run>-0001.part), not a stray copy.jsonl.bak. The
-- glob finds candidates, the file name filter (pushed down: other files are never opened)
-- keeps the batches. A record of another schema_version, or with a null or missing key the
-- schema forbids to be null, fails the query with an error naming its file, where export
-- reports the line and skips it: a view cannot skip a line and say so. A record of schema
-- version 1.0 has no free_access key: it reads as null.
-- In Python, newscrawl.duckdb_view(con, "out/demo") runs this file with the root filled in.

CREATE OR REPLACE VIEW articles AS
SELECT * EXCLUDE (filename) FROM read_json(
    getvariable('newscrawl_out') || '/*/*/*.jsonl*',
    format = 'newline_delimited',
    compression = 'auto_detect',
    filename = true,
    columns = {
    schema_version: 'VARCHAR',
    url: 'VARCHAR',
    canonical_url: 'VARCHAR',
    site: 'VARCHAR',
    crawled_at: 'TIMESTAMPTZ',
    language: 'VARCHAR',
    section: 'VARCHAR',
    breadcrumb: 'STRUCT("name" VARCHAR, "url" VARCHAR)[]',
    headline: 'VARCHAR',
    headline_alt: 'STRUCT("text" VARCHAR, "lang" VARCHAR)',
    authors: 'VARCHAR[]',
    published_at: 'TIMESTAMPTZ',
    modified_at: 'TIMESTAMPTZ',
    body: 'VARCHAR[]',
    free_access: 'BOOLEAN',
    photo_credit: 'VARCHAR',
    images: 'STRUCT("url" VARCHAR, "caption" VARCHAR, "credit" VARCHAR)[]',
    teasers: 'STRUCT("title" VARCHAR, "url" VARCHAR, "excerpt" VARCHAR)[]',
    tags: 'VARCHAR[]',
    fingerprint: 'VARCHAR',
    revision: 'BIGINT',
    duplicate_of: 'VARCHAR'
}
)
WHERE regexp_full_match(
    filename,
    '.*/[A-Za-z0-9][A-Za-z0-9._-]*/[0-9]{4}-[0-9]{2}-[0-9]{2}/[A-Za-z0-9][A-Za-z0-9._-]*-[0-9]{4,}\.jsonl(\.gz)?'
)
AND CASE
    WHEN schema_version IN ('1.0', '1.1') AND url IS NOT NULL AND site IS NOT NULL
        AND crawled_at IS NOT NULL AND breadcrumb IS NOT NULL AND headline IS NOT NULL
        AND authors IS NOT NULL AND body IS NOT NULL AND images IS NOT NULL
        AND teasers IS NOT NULL AND tags IS NOT NULL AND fingerprint IS NOT NULL
        AND revision IS NOT NULL
    THEN true
    ELSE error(
        'newscrawl: ' || filename || ': ' || CASE
            WHEN schema_version IN ('1.0', '1.1')
            THEN 'a record with a null or missing required field (url, revision, ...)'
            ELSE 'a record of schema_version ' || coalesce(schema_version, 'null') || ', not 1.0 or 1.1'
        END || '; newscrawl export names the line and skips it'
    )
END;

-- The latest revision of each article (revisions are counted per url).
CREATE OR REPLACE VIEW articles_latest AS
SELECT * FROM articles
QUALIFY row_number() OVER (PARTITION BY url ORDER BY revision DESC, crawled_at DESC) = 1;
