// The schema migrations compiled into the binary (generated at build time
// from storage/migrations/NNNN_name.sql), and how a migration's text is cut
// into statements.
#ifndef INCIDENTD_STORAGE_MYSQL_MIGRATIONS_H_
#define INCIDENTD_STORAGE_MYSQL_MIGRATIONS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"

namespace incidentd::storage::mysql {

struct Migration {
  int version;       // NNNN of the file name; 1, 2, 3... without gaps
  const char* name;  // the rest of the file name, e.g. "initial"
  const char* sql;
};

// Ordered by version; defined in the generated embedded_migrations.cc.
absl::Span<const Migration> EmbeddedMigrations();

// The statements of a migration: lines are joined until one ends with ';'
// (the ';' dropped); lines starting with "--" and blank statements are
// skipped. Keeps the SQL files plain: no ';' at a line end inside a string,
// no procedures.
std::vector<std::string> SplitStatements(std::string_view sql);

}  // namespace incidentd::storage::mysql

#endif  // INCIDENTD_STORAGE_MYSQL_MIGRATIONS_H_
