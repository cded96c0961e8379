# Writes OUTPUT, a C++ file holding every storage/migrations/NNNN_name.sql
# under MIGRATIONS_DIR as a raw string, so the server needs no files at run
# time. Run at build time: cmake -DMIGRATIONS_DIR=... -DOUTPUT=... -P this.
file(GLOB files RELATIVE "${MIGRATIONS_DIR}" "${MIGRATIONS_DIR}/*.sql")
list(SORT files)
set(entries "")
set(expected 1)
foreach(file IN LISTS files)
  if(NOT file MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)\\.sql$")
    message(FATAL_ERROR "migration ${file}: name must be NNNN_name.sql")
  endif()
  set(name "${CMAKE_MATCH_2}")
  math(EXPR version "${CMAKE_MATCH_1}")
  if(NOT version EQUAL expected)
    message(FATAL_ERROR "migration ${file}: expected version ${expected}")
  endif()
  math(EXPR expected "${expected} + 1")
  file(READ "${MIGRATIONS_DIR}/${file}" sql)
  if(sql MATCHES "\\)incidentd_sql\"")
    message(FATAL_ERROR "migration ${file} contains the raw string delimiter")
  endif()
  string(APPEND entries
    "    {${version}, \"${name}\", R\"incidentd_sql(${sql})incidentd_sql\"},\n")
endforeach()
if(expected EQUAL 1)
  message(FATAL_ERROR "no migrations in ${MIGRATIONS_DIR}")
endif()
set(content "// Generated from storage/migrations/*.sql by
// storage/mysql/embed_migrations.cmake. Do not edit.
#include \"storage/mysql/migrations.h\"

namespace incidentd::storage::mysql {

absl::Span<const Migration> EmbeddedMigrations() {
  static const Migration kMigrations[] = {
${entries}  };
  return kMigrations;
}

}  // namespace incidentd::storage::mysql
")
# Rewrite only on change, so an unchanged schema does not relink.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${content}")
