-- The initial schema: pages and everything under them, the idempotency
-- records. Conventions, kept by every later migration too:
--   * utf8mb4 with utf8mb4_bin everywhere, so text comes back byte for byte
--     and ids compare exactly;
--   * times are DATETIME(6) in UTC (every session sets time_zone '+00:00');
--   * enums are the API's numeric values (TINYINT), 0 meaning unspecified;
--   * everything under a page has page_id first in its primary key and
--     reaches pages through ON DELETE CASCADE foreign keys;
--   * `version` is the optimistic-concurrency counter of store.h.
-- Statements end with ';' at the end of a line (the embedder splits there)
-- and run unchanged on MariaDB 10.11 and MySQL 8. IF NOT EXISTS lets a
-- migration interrupted half way (DDL commits on its own) be run again.
-- The per-page event log comes in a later migration.

CREATE TABLE IF NOT EXISTS pages (
  id VARCHAR(63) NOT NULL,
  display_name VARCHAR(200) NOT NULL,
  url VARCHAR(2048) NOT NULL,
  time_zone VARCHAR(64) NOT NULL,
  create_time DATETIME(6) NOT NULL,
  update_time DATETIME(6) NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS component_groups (
  page_id VARCHAR(63) NOT NULL,
  id VARCHAR(63) NOT NULL,
  display_name VARCHAR(200) NOT NULL,
  description TEXT NOT NULL,
  position INT NOT NULL,
  create_time DATETIME(6) NOT NULL,
  update_time DATETIME(6) NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (page_id, id),
  KEY component_groups_by_position (page_id, position, id),
  CONSTRAINT component_groups_page FOREIGN KEY (page_id)
    REFERENCES pages (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- group_id is NULL for an ungrouped component. The group foreign key has no
-- ON DELETE action: deleting a group (or its page) ungroups the components
-- first, so a component can never point at a group that is gone.
CREATE TABLE IF NOT EXISTS components (
  page_id VARCHAR(63) NOT NULL,
  id VARCHAR(63) NOT NULL,
  display_name VARCHAR(200) NOT NULL,
  description TEXT NOT NULL,
  group_id VARCHAR(63) NULL,
  status TINYINT NOT NULL,
  status_reason VARCHAR(1024) NOT NULL,
  status_change_time DATETIME(6) NOT NULL,
  position INT NOT NULL,
  create_time DATETIME(6) NOT NULL,
  update_time DATETIME(6) NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (page_id, id),
  KEY components_by_position (page_id, position, id),
  KEY components_by_group (page_id, group_id, position, id),
  CONSTRAINT components_page FOREIGN KEY (page_id)
    REFERENCES pages (id) ON DELETE CASCADE,
  CONSTRAINT components_group FOREIGN KEY (page_id, group_id)
    REFERENCES component_groups (page_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Incidents and maintenance. Two columns exist only to be indexed:
--   sort_time  start_time, or create_time when there is none: the key that
--              lists sort and page on, newest first;
--   is_open    1 unless the status is RESOLVED, COMPLETED or CANCELLED.
CREATE TABLE IF NOT EXISTS incidents (
  page_id VARCHAR(63) NOT NULL,
  id VARCHAR(63) NOT NULL,
  title VARCHAR(200) NOT NULL,
  kind TINYINT NOT NULL,
  status TINYINT NOT NULL,
  is_open BOOLEAN NOT NULL,
  derived_impact TINYINT NOT NULL,
  impact_override TINYINT NOT NULL,
  start_time DATETIME(6) NULL,
  sort_time DATETIME(6) NOT NULL,
  resolve_time DATETIME(6) NULL,
  impact_start_time DATETIME(6) NULL,
  impact_end_time DATETIME(6) NULL,
  scheduled_start_time DATETIME(6) NULL,
  scheduled_end_time DATETIME(6) NULL,
  manual_transitions BOOLEAN NOT NULL,
  create_time DATETIME(6) NOT NULL,
  update_time DATETIME(6) NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (page_id, id),
  KEY incidents_by_start (page_id, sort_time, id),
  KEY incidents_open (page_id, is_open, sort_time, id),
  KEY incidents_due_start (status, scheduled_start_time),
  KEY incidents_due_end (status, scheduled_end_time),
  CONSTRAINT incidents_page FOREIGN KEY (page_id)
    REFERENCES pages (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The affected components of an incident, in the order given. No foreign
-- key to components: a closed incident keeps naming a component that was
-- deleted later.
CREATE TABLE IF NOT EXISTS incident_components (
  page_id VARCHAR(63) NOT NULL,
  incident_id VARCHAR(63) NOT NULL,
  position INT NOT NULL,
  component_id VARCHAR(63) NOT NULL,
  PRIMARY KEY (page_id, incident_id, position),
  KEY incident_components_by_component (page_id, component_id, incident_id),
  CONSTRAINT incident_components_incident FOREIGN KEY (page_id, incident_id)
    REFERENCES incidents (page_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Timeline updates. seq is assigned on insert and breaks ties between equal
-- display times.
CREATE TABLE IF NOT EXISTS incident_updates (
  page_id VARCHAR(63) NOT NULL,
  incident_id VARCHAR(63) NOT NULL,
  id VARCHAR(63) NOT NULL,
  seq BIGINT NOT NULL AUTO_INCREMENT,
  status TINYINT NOT NULL,
  resulting_status TINYINT NOT NULL,
  body MEDIUMTEXT NOT NULL,
  display_time DATETIME(6) NOT NULL,
  display_time_zone VARCHAR(64) NOT NULL,
  create_time DATETIME(6) NOT NULL,
  author VARCHAR(200) NOT NULL,
  notify BOOLEAN NOT NULL,
  reopen BOOLEAN NOT NULL,
  update_time DATETIME(6) NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (page_id, incident_id, id),
  UNIQUE KEY incident_updates_seq (seq),
  KEY incident_updates_timeline (page_id, incident_id, display_time, seq),
  CONSTRAINT incident_updates_incident FOREIGN KEY (page_id, incident_id)
    REFERENCES incidents (page_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The component statuses an update sets, in the order given.
CREATE TABLE IF NOT EXISTS incident_update_components (
  page_id VARCHAR(63) NOT NULL,
  incident_id VARCHAR(63) NOT NULL,
  update_id VARCHAR(63) NOT NULL,
  position INT NOT NULL,
  component_id VARCHAR(63) NOT NULL,
  status TINYINT NOT NULL,
  PRIMARY KEY (page_id, incident_id, update_id, position),
  CONSTRAINT incident_update_components_update
    FOREIGN KEY (page_id, incident_id, update_id)
    REFERENCES incident_updates (page_id, incident_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- What an update said before each edit; revision 1 is the oldest.
CREATE TABLE IF NOT EXISTS incident_update_revisions (
  page_id VARCHAR(63) NOT NULL,
  incident_id VARCHAR(63) NOT NULL,
  update_id VARCHAR(63) NOT NULL,
  revision INT NOT NULL,
  body MEDIUMTEXT NOT NULL,
  display_time DATETIME(6) NOT NULL,
  display_time_zone VARCHAR(64) NOT NULL,
  replace_time DATETIME(6) NOT NULL,
  replaced_by VARCHAR(200) NOT NULL,
  PRIMARY KEY (page_id, incident_id, update_id, revision),
  CONSTRAINT incident_update_revisions_update
    FOREIGN KEY (page_id, incident_id, update_id)
    REFERENCES incident_updates (page_id, incident_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The current postmortem of an incident, its sections, and every content
-- revision as a full snapshot (postmortem_revisions +
-- postmortem_revision_sections).
CREATE TABLE IF NOT EXISTS postmortems (
  page_id VARCHAR(63) NOT NULL,
  incident_id VARCHAR(63) NOT NULL,
  state TINYINT NOT NULL,
  publish_time DATETIME(6) NULL,
  author VARCHAR(200) NOT NULL,
  revision BIGINT NOT NULL,
  create_time DATETIME(6) NOT NULL,
  update_time DATETIME(6) NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (page_id, incident_id),
  CONSTRAINT postmortems_incident FOREIGN KEY (page_id, incident_id)
    REFERENCES incidents (page_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS postmortem_sections (
  page_id VARCHAR(63) NOT NULL,
  incident_id VARCHAR(63) NOT NULL,
  position INT NOT NULL,
  heading TEXT NOT NULL,
  body MEDIUMTEXT NOT NULL,
  PRIMARY KEY (page_id, incident_id, position),
  CONSTRAINT postmortem_sections_postmortem FOREIGN KEY (page_id, incident_id)
    REFERENCES postmortems (page_id, incident_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS postmortem_revisions (
  page_id VARCHAR(63) NOT NULL,
  incident_id VARCHAR(63) NOT NULL,
  revision BIGINT NOT NULL,
  state TINYINT NOT NULL,
  publish_time DATETIME(6) NULL,
  author VARCHAR(200) NOT NULL,
  create_time DATETIME(6) NOT NULL,
  update_time DATETIME(6) NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (page_id, incident_id, revision),
  CONSTRAINT postmortem_revisions_postmortem FOREIGN KEY (page_id, incident_id)
    REFERENCES postmortems (page_id, incident_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS postmortem_revision_sections (
  page_id VARCHAR(63) NOT NULL,
  incident_id VARCHAR(63) NOT NULL,
  revision BIGINT NOT NULL,
  position INT NOT NULL,
  heading TEXT NOT NULL,
  body MEDIUMTEXT NOT NULL,
  PRIMARY KEY (page_id, incident_id, revision, position),
  CONSTRAINT postmortem_revision_sections_revision
    FOREIGN KEY (page_id, incident_id, revision)
    REFERENCES postmortem_revisions (page_id, incident_id, revision)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Follow-up items of an incident; seq gives creation order.
CREATE TABLE IF NOT EXISTS corrective_actions (
  page_id VARCHAR(63) NOT NULL,
  incident_id VARCHAR(63) NOT NULL,
  id VARCHAR(63) NOT NULL,
  seq BIGINT NOT NULL AUTO_INCREMENT,
  description TEXT NOT NULL,
  owner VARCHAR(200) NOT NULL,
  state TINYINT NOT NULL,
  create_time DATETIME(6) NOT NULL,
  update_time DATETIME(6) NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (page_id, incident_id, id),
  UNIQUE KEY corrective_actions_seq (seq),
  KEY corrective_actions_by_seq (page_id, incident_id, seq),
  CONSTRAINT corrective_actions_incident FOREIGN KEY (page_id, incident_id)
    REFERENCES incidents (page_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Client request ids for idempotent creates. scope is a page id, or '' for
-- page creation, so there is no foreign key: deleting a page deletes its
-- records explicitly.
CREATE TABLE IF NOT EXISTS request_records (
  scope VARCHAR(63) NOT NULL,
  request_id VARCHAR(128) NOT NULL,
  method VARCHAR(255) NOT NULL,
  fingerprint VARCHAR(255) NOT NULL,
  resource_name VARCHAR(1024) NOT NULL,
  create_time DATETIME(6) NOT NULL,
  PRIMARY KEY (scope, request_id),
  KEY request_records_by_time (create_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
