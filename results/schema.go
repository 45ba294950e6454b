package results

// The provenance schema is the list of migrations below, applied in order
// (see DB.migrate); SCHEMA.md documents the resulting tables for sqlite3
// users and TestSchemaDocumented keeps the two in step. Times are RFC 3339
// text in UTC. A shipped migration is never edited: a change is a new
// migration appended to the list.
var migrations = []string{schemaV1, schemaV2, schemaV3, schemaV4, schemaV5}

// schemaV1 creates runs, executions, params, artifacts and edges.
const schemaV1 = `
CREATE TABLE runs (
  id            INTEGER PRIMARY KEY,
  experiment    TEXT NOT NULL,
  file          TEXT NOT NULL,
  yaml          TEXT NOT NULL,            -- the exact YAML that ran
  args          TEXT NOT NULL,            -- the command line
  status        TEXT NOT NULL,            -- running | ok | failed | cancelled | killed
  started       TEXT NOT NULL,
  ended         TEXT,
  host          TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  code_version  TEXT NOT NULL,            -- module version
  code_revision TEXT NOT NULL,            -- VCS revision of the eigenlab build
  code_modified INTEGER NOT NULL,         -- 1 if built from a dirty tree
  env_json      TEXT NOT NULL             -- Go, OS/arch, CPU model+flags, BLAS, threads
);
CREATE INDEX runs_experiment ON runs(experiment, id);

CREATE TABLE executions (
  id             INTEGER PRIMARY KEY,
  run_id         INTEGER NOT NULL REFERENCES runs(id),
  stage          TEXT NOT NULL,           -- stage name in the YAML
  cell           TEXT NOT NULL,           -- axis values it depends on: "alpha=1,seed=0"
  instance_id    TEXT NOT NULL,
  kind           TEXT NOT NULL,
  version        TEXT NOT NULL,           -- stage version
  action_key     TEXT NOT NULL,           -- cache key (hex SHA-256)
  key_text       TEXT NOT NULL,           -- the readable lines hashed into the key
  status         TEXT NOT NULL,           -- ok | cached | failed | skipped
  started        TEXT NOT NULL,
  ended          TEXT NOT NULL,
  wall_s         REAL NOT NULL,
  cpu_s          REAL NOT NULL,           -- process CPU during the stage (exact at -j 1)
  peak_rss_bytes INTEGER NOT NULL,        -- process peak RSS when the stage ended
  host           TEXT NOT NULL,
  executor       TEXT NOT NULL,
  error          TEXT NOT NULL,
  seed           INTEGER                  -- the stage's seed param, if it has one
);
CREATE INDEX executions_run ON executions(run_id);
CREATE INDEX executions_stage ON executions(stage, cell, id);
CREATE INDEX executions_key ON executions(action_key);

CREATE TABLE params (
  execution_id INTEGER NOT NULL REFERENCES executions(id),
  name         TEXT NOT NULL,
  value        TEXT NOT NULL,             -- canonical text form
  PRIMARY KEY (execution_id, name)
) WITHOUT ROWID;

CREATE TABLE artifacts (
  digest TEXT PRIMARY KEY,                -- SHA-256 of canonical content
  kind   TEXT NOT NULL,                   -- array | record | model
  dtype  TEXT NOT NULL,
  shape  TEXT NOT NULL,                   -- JSON list
  bytes  INTEGER NOT NULL                 -- size of the stored blob
) WITHOUT ROWID;

CREATE TABLE edges (
  execution_id INTEGER NOT NULL REFERENCES executions(id),
  direction    TEXT NOT NULL,             -- in | out
  name         TEXT NOT NULL,             -- input or output name
  digest       TEXT NOT NULL,
  PRIMARY KEY (execution_id, direction, name)
) WITHOUT ROWID;
CREATE INDEX edges_digest ON edges(digest, direction);
`

// schemaV2 adds the cited scalars and indexes the executions of a run by
// stage, the lookup behind every EXP:STAGE reference.
const schemaV2 = `
CREATE TABLE cited (
  id           TEXT PRIMARY KEY,          -- "<experiment>:<stage>.<output>[@<cell>]", stable across reruns
  execution_id INTEGER NOT NULL REFERENCES executions(id),  -- the latest execution that produced it
  output       TEXT NOT NULL,
  digest       TEXT NOT NULL,
  value        REAL                       -- NULL when the value is NaN
) WITHOUT ROWID;

DROP INDEX executions_run;
CREATE INDEX executions_run ON executions(run_id, stage, cell);
`

// schemaV3 lets an execution served from the cache share the params and
// edges of an earlier execution with the same action, params, inputs and
// outputs instead of copying them, which was most of the cost of recording
// a no-op rerun: io_id names the execution whose params and edges describe
// this one (itself for one recorded in full), io_digest hashes what those
// rows say (NULL for a failed or skipped execution, never shared).
const schemaV3 = `
ALTER TABLE executions ADD COLUMN io_id INTEGER REFERENCES executions(id);
ALTER TABLE executions ADD COLUMN io_digest TEXT;
UPDATE executions SET io_id = id;
CREATE INDEX executions_io ON executions(io_id);
DROP INDEX executions_key;
CREATE INDEX executions_key ON executions(action_key, io_digest);
`

// schemaV4 indexes by action key only the executions recorded in full (io_id
// = id): the queries by action key want those (the execution that computed
// a result, the full record a repeat shares), and a random-order index
// entry per cached execution was half of what SQLite spent recording a
// no-op rerun. Queries by action key must say "io_id = id" to use it.
const schemaV4 = `
DROP INDEX executions_key;
CREATE INDEX executions_key ON executions(action_key, io_digest) WHERE io_id = id;
`

// schemaV5 makes recording a rerun served from the cache cost what the
// rerun is, not what the database already holds.
//
// It drops executions_stage: entries keyed by stage and cell go to random
// places in an index as large as the history, so each execution of a
// rerun dirtied its own page of it (a no-op of 10,000 stages over 90
// earlier runs took 0.78 s with the index, 0.56 s without). The last
// execution of a stage in a cell is found instead by probing
// executions_run for the experiment's runs, newest first.
//
// It splits the cited table in two, so that a rerun writes one row per
// execution instead of one per cited value: cited_sources holds the latest
// execution that produced each stage's set of cited outputs; cited_values
// holds the values, each naming its source, and is written only when one
// changes. The view cited joins
// them into the table of schemaV2, which readers keep querying. A version
// 4 database keeps every value's execution: the values cited from one
// execution become one source.
const schemaV5 = `
DROP INDEX executions_stage;

CREATE TABLE cited_sources (
  source       TEXT PRIMARY KEY,          -- "<experiment>:<stage>[@<cell>] <output>,<output>...", see citationSource
  execution_id INTEGER NOT NULL REFERENCES executions(id)  -- the latest execution that produced them
) WITHOUT ROWID;

CREATE TABLE cited_values (
  id     TEXT PRIMARY KEY,                -- "<experiment>:<stage>.<output>[@<cell>]", stable across reruns
  source TEXT NOT NULL REFERENCES cited_sources(source),
  output TEXT NOT NULL,
  digest TEXT NOT NULL,
  value  REAL                             -- NULL when the value is NaN
) WITHOUT ROWID;

INSERT INTO cited_sources (source, execution_id)
  SELECT r.experiment || ':' || e.stage || IIF(e.cell = '', '', '@' || e.cell) || ' ' || group_concat(c.output, ',' ORDER BY c.output),
         c.execution_id
  FROM cited c JOIN executions e ON e.id = c.execution_id JOIN runs r ON r.id = e.run_id
  GROUP BY c.execution_id;

INSERT INTO cited_values (id, source, output, digest, value)
  SELECT c.id, s.source, c.output, c.digest, c.value FROM cited c JOIN cited_sources s ON s.execution_id = c.execution_id;

DROP TABLE cited;

CREATE VIEW cited AS
  SELECT v.id AS id, s.execution_id AS execution_id, v.output AS output, v.digest AS digest, v.value AS value
  FROM cited_values v JOIN cited_sources s ON s.source = v.source;
`
