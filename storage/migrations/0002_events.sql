-- The per-page event log (EventRepository in storage/store.h): every
-- committed change of a page as one row, numbered 1, 2, 3... per page in
-- commit order. Same conventions as 0001_initial.sql.

-- The sequence counter of each page, in a table of its own rather than a
-- column of pages: Append locks this row until commit (that lock is what
-- makes the numbering gap-free and commit-ordered), and on pages that lock
-- would also serialise every page read FOR UPDATE and every page edit
-- with the event writers. A narrow table is also what the replicas poll
-- (LastSequences) to find new events.
--   last_seq   the page's latest sequence; 0 before its first event.
--   last_time  the latest create_time stored for the page. Append never
--              stores an earlier one, so that each page's create_times
--              never decrease with seq (replica clocks differ) and pruning
--              by time removes a prefix of the page's log, never leaving a
--              hole below a kept event.
-- Rows are made by Append when missing (a page created before this
-- migration, or a new page's first event) and kept by pruning, so the
-- numbering goes on.
CREATE TABLE IF NOT EXISTS event_sequences (
  page_id VARCHAR(63) NOT NULL,
  last_seq BIGINT NOT NULL,
  last_time DATETIME(6) NOT NULL,
  PRIMARY KEY (page_id),
  CONSTRAINT event_sequences_page FOREIGN KEY (page_id)
    REFERENCES pages (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The events. They reach pages through their counter row: the foreign key
-- check of an insert then takes a shared lock on the row Append already
-- holds, and no lock on the pages row that other writers of the page
-- take first (which could deadlock with them).
--   type           Event.Type; SMALLINT because the values are spaced by
--                  tens per resource kind and would outgrow TINYINT early.
--   component_ids  the ids joined with ',' (ids never contain one; Append
--                  refuses them), '' for none. Only the server filters on
--                  them, after reading.
--   payload        opaque to storage: the encoded API event.
-- events_by_time orders pruning; InnoDB appends the primary key to it, so
-- it is (create_time, page_id, seq) and a pruning batch deletes in that
-- order straight from the index.
CREATE TABLE IF NOT EXISTS events (
  page_id VARCHAR(63) NOT NULL,
  seq BIGINT NOT NULL,
  type SMALLINT NOT NULL,
  create_time DATETIME(6) NOT NULL,
  actor VARCHAR(200) NOT NULL,
  resource_name VARCHAR(1024) NOT NULL,
  incident_id VARCHAR(63) NOT NULL,
  component_ids TEXT NOT NULL,
  payload MEDIUMBLOB NOT NULL,
  PRIMARY KEY (page_id, seq),
  KEY events_by_time (create_time),
  CONSTRAINT events_sequence FOREIGN KEY (page_id)
    REFERENCES event_sequences (page_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Counters for the pages that exist already, so that their first Append
-- takes the common path. Skips pages that have one (a rerun after an
-- interruption).
INSERT INTO event_sequences (page_id, last_seq, last_time)
SELECT p.id, 0, '1000-01-01 00:00:00' FROM pages p
WHERE NOT EXISTS (SELECT 1 FROM event_sequences s WHERE s.page_id = p.id);
