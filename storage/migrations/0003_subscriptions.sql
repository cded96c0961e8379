-- Subscriptions (SubscriberRepository and DeliveryRepository in
-- storage/store.h): who is notified of a page's events, every notification
-- owed to them, and the dispatcher's position in each page's event log.
-- Same conventions as 0001_initial.sql.
--
-- Adding a column is not idempotent by itself and MySQL 8 has no
-- ADD COLUMN IF NOT EXISTS, so each ALTER below is chosen by a look at
-- information_schema and run as a prepared statement ('DO 0' when the
-- column is there): a rerun after an interruption skips it. New columns go
-- last, which both servers add in place without copying the table.

-- events.notify: whether subscribers are notified of the event (Event.notify
-- in the API); the events logged before this migration notify nobody.
SET @incidentd_ddl = IF((SELECT COUNT(*) FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'events'
      AND COLUMN_NAME = 'notify') = 0,
  'ALTER TABLE events ADD COLUMN notify BOOLEAN NOT NULL DEFAULT 0',
  'DO 0');
PREPARE incidentd_ddl FROM @incidentd_ddl;
EXECUTE incidentd_ddl;
DEALLOCATE PREPARE incidentd_ddl;

-- incidents.reminded_start: the scheduled start time for which the
-- "starting soon" reminder was sent (NULL: none yet). A maintenance moved to
-- another start is reminded again; written by MarkReminded only, never by
-- incident updates.
SET @incidentd_ddl = IF((SELECT COUNT(*) FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'incidents'
      AND COLUMN_NAME = 'reminded_start') = 0,
  'ALTER TABLE incidents ADD COLUMN reminded_start DATETIME(6) NULL',
  'DO 0');
PREPARE incidentd_ddl FROM @incidentd_ddl;
EXECUTE incidentd_ddl;
DEALLOCATE PREPARE incidentd_ddl;

-- The subscribers of a page: an email address or a webhook URL.
--   kind, state       Subscriber.Kind and Subscriber.State values.
--   address           the email address or URL as the domain layer
--                     normalised it; compared exactly (utf8mb4_bin).
--   address_hash      SHA-256 of address, only so that (page, kind,
--                     address) can be unique: a 2048-character utf8mb4
--                     column is longer than an index key may be.
--   component_ids     the component filter, ids joined with ',' as in
--                     events ('' for the whole page).
--   incident_id       the incident filter, '' for any.
--   confirmation_token, unsubscribe_token
--                     secrets, each unique across all pages so that a token
--                     alone finds its subscriber; NULL when there is none
--                     (the domain's ""), so that absent tokens never
--                     collide.
--   signing_secret    webhooks only, '' for email. Stored as is: it must be
--                     used to sign, and tokens go into every mail.
--   after_seq         events of the page above this sequence notify it.
--   consecutive_failures, failing_since
--                     delivery health, written by the delivery workers.
-- Scheduling, written by the workers and the dispatcher (not part of the
-- model; no version change):
--   due_time          when a worker should next look at the subscriber
--                     (NULL: nothing to do): the column ClaimDue scans.
--   due_marked        set by every MarkDue and cleared when a lease
--                     begins: something became due while the worker held
--                     the lease, after it read what it had to do, so
--                     ReleaseLease keeps due_time no later than it was
--                     instead of only writing the worker's own next due
--                     time (which would lose that wake-up).
--   lease_owner, lease_until
--                     the worker holding the subscriber, and until when; a
--                     lease past lease_until may be taken over.
-- subscribers_due serves ClaimDue: one range per claimable state, read in
-- due_time order, so that InnoDB locks only the rows it returns.
CREATE TABLE IF NOT EXISTS subscribers (
  page_id VARCHAR(63) NOT NULL,
  id VARCHAR(63) NOT NULL,
  kind TINYINT NOT NULL,
  address VARCHAR(2048) NOT NULL,
  address_hash BINARY(32) GENERATED ALWAYS AS (UNHEX(SHA2(address, 256)))
    STORED,
  component_ids TEXT NOT NULL,
  incident_id VARCHAR(63) NOT NULL,
  state TINYINT NOT NULL,
  state_reason TEXT NOT NULL,
  confirmation_token VARCHAR(128) NULL,
  unsubscribe_token VARCHAR(128) NULL,
  signing_secret VARCHAR(128) NOT NULL,
  after_seq BIGINT NOT NULL,
  consecutive_failures INT NOT NULL,
  failing_since DATETIME(6) NULL,
  activate_time DATETIME(6) NULL,
  create_time DATETIME(6) NOT NULL,
  update_time DATETIME(6) NOT NULL,
  version BIGINT NOT NULL,
  due_time DATETIME(6) NULL,
  due_marked BOOLEAN NOT NULL DEFAULT 0,
  lease_owner VARCHAR(255) NULL,
  lease_until DATETIME(6) NULL,
  PRIMARY KEY (page_id, id),
  UNIQUE KEY subscribers_address (page_id, kind, address_hash),
  UNIQUE KEY subscribers_confirmation_token (confirmation_token),
  UNIQUE KEY subscribers_unsubscribe_token (unsubscribe_token),
  KEY subscribers_due (state, due_time),
  CONSTRAINT subscribers_page FOREIGN KEY (page_id)
    REFERENCES pages (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One notification to one subscriber: of the page event event_seq, or
-- (event_seq 0) an email subscriber's confirmation mail. The primary key
-- makes it unique per (subscriber, event), which is what makes the
-- dispatcher's inserts idempotent.
--   event_type        Event.Type (SMALLINT as in events).
--   incident_id       the incident the event concerns ('' for none), for
--                     coalescing bursts.
--   state             Delivery.State.
--   last_error        the last failed attempt's error, '' when none.
--   horizon_start     when the retry horizon began: create_time, or the
--                     last redelivery.
--   next_attempt_time when it may next be attempted (open ones only).
-- deliveries_by_event lists one event's deliveries by subscriber;
-- deliveries_by_state serves a subscriber's open deliveries and its list
-- filtered by state; deliveries_finished orders pruning.
CREATE TABLE IF NOT EXISTS deliveries (
  page_id VARCHAR(63) NOT NULL,
  subscriber_id VARCHAR(63) NOT NULL,
  event_seq BIGINT NOT NULL,
  event_type SMALLINT NOT NULL,
  incident_id VARCHAR(63) NOT NULL,
  state TINYINT NOT NULL,
  attempts INT NOT NULL,
  last_error TEXT NOT NULL,
  create_time DATETIME(6) NOT NULL,
  horizon_start DATETIME(6) NOT NULL,
  last_attempt_time DATETIME(6) NULL,
  next_attempt_time DATETIME(6) NULL,
  deliver_time DATETIME(6) NULL,
  PRIMARY KEY (page_id, subscriber_id, event_seq),
  KEY deliveries_by_event (page_id, event_seq, subscriber_id),
  KEY deliveries_by_state (page_id, subscriber_id, state, event_seq),
  KEY deliveries_finished (state, create_time),
  CONSTRAINT deliveries_subscriber FOREIGN KEY (page_id, subscriber_id)
    REFERENCES subscribers (page_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The dispatcher's cursor per page: the last event sequence that was turned
-- into deliveries. A page without a row counts as at 0. The dispatcher
-- holds the row lock while it records a batch of deliveries and moves the
-- cursor in the same transaction, so each batch is recorded exactly once
-- across replicas.
CREATE TABLE IF NOT EXISTS notification_cursors (
  page_id VARCHAR(63) NOT NULL,
  last_seq BIGINT NOT NULL,
  PRIMARY KEY (page_id),
  CONSTRAINT notification_cursors_page FOREIGN KEY (page_id)
    REFERENCES pages (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Cursors for the pages that have events already, at their latest event: no
-- subscriber predates this migration, so no one is owed those events, and
-- the dispatcher need not walk every old log. Skips pages that have one (a
-- rerun after an interruption).
INSERT INTO notification_cursors (page_id, last_seq)
SELECT s.page_id, s.last_seq FROM event_sequences s
WHERE NOT EXISTS (SELECT 1 FROM notification_cursors c
                  WHERE c.page_id = s.page_id);
