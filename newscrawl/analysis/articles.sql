-- newscrawl output as two DuckDB views: articles (every record) and articles_latest.
--
-- Column types are declared from newscrawl/schema/article.schema.json, never sniffed
-- (a test checks that they match). Set the output root, then read this file:
--
--   duckdb -cmd "SET VARIABLE newscrawl_out = 'out/demo'" -c ".read articles.sql" ...
--
-- The glob <root>/*/*/*.jsonl* matches published batches, plain and gzip, and neither
-- rejects (in rejects/) nor the hidden temp files of batches being written (.<run>-0001.part).
-- In Python, newscrawl.duckdb_view(con, "out/demo") runs this file with the root filled in.

CREATE OR REPLACE VIEW articles AS
SELECT * FROM read_json(
    getvariable('newscrawl_out') || '/*/*/*.jsonl*',
    format = 'newline_delimited',
    compression = 'auto_detect',
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
    photo_credit: 'VARCHAR',
    images: 'STRUCT("url" VARCHAR, "caption" VARCHAR, "credit" VARCHAR)[]',
    teasers: 'STRUCT("title" VARCHAR, "url" VARCHAR, "excerpt" VARCHAR)[]',
    tags: 'VARCHAR[]',
    fingerprint: 'VARCHAR',
    revision: 'BIGINT',
    duplicate_of: 'VARCHAR'
}
);

-- The latest revision of each article (revisions are counted per url).
CREATE OR REPLACE VIEW articles_latest AS
SELECT * FROM articles
QUALIFY row_number() OVER (PARTITION BY url ORDER BY revision DESC, crawled_at DESC) = 1;
