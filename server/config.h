// The server's configuration: absl flags, each with an environment variable
// INCIDENTD_<FLAG NAME IN CAPITALS> (e.g. --mysql_host, INCIDENTD_MYSQL_HOST).
// A flag on the command line wins over its variable, the variable over the
// default.
#ifndef INCIDENTD_SERVER_CONFIG_H_
#define INCIDENTD_SERVER_CONFIG_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/domain/subscriptions.h"
#include "server/notify/transport.h"
#include "storage/mysql/mysql_store.h"

namespace incidentd {

// Subscriptions and their notifications.
struct NotifyConfig {
  // Delivery threads (--delivery_workers; 0: this replica sends nothing,
  // others do) and how often idle ones and the dispatcher look for work
  // from other replicas (--delivery_poll_interval).
  int workers = 0;
  absl::Duration poll_interval;
  absl::Duration lease;
  domain::RetryPolicy retry;
  domain::QuarantinePolicy quarantine;
  // "Starting soon" reminders this long before a maintenance starts; zero
  // for none.
  absl::Duration reminder_lead;
  int max_subscribers_per_page = 0;
  // Links in mails: <public_url>/confirm?token=, /unsubscribe?token=; the
  // page's URL when empty.
  std::string public_url;
  std::string mail_from;
  notify::CurlWebhookOptions webhook;
  notify::CurlMailOptions mail;
};

struct ServerConfig {
  std::string listen;
  storage::MysqlConfig mysql;
  // Executor threads: --pool_size. The store's pool holds one connection
  // more, so the health probe never queues behind busy workers.
  int workers = 0;
  // Tasks that may wait for a worker (--queue_capacity, 0: 4 x workers).
  int queue_capacity = 0;
  absl::Duration default_deadline;
  absl::Duration shutdown_grace;
  absl::Duration maintenance_interval;
  absl::Duration health_interval;
  absl::Duration startup_db_wait;
  bool auto_migrate = true;
  // Log successful reads too (UnaryRunner).
  bool log_reads = false;
  // Live updates (event_hub.h): how often the tailer asks the database for
  // other replicas' events, how often an idle stream gets a heartbeat, and
  // how many events may wait for a slow watcher before its stream ends.
  absl::Duration event_poll_interval;
  // GetPageStatus and GetIncident answers kept (read_cache.h); 0: none.
  int64_t read_cache_bytes = 0;
  absl::Duration heartbeat_interval;
  int watch_buffer = 0;
  // How long events are kept, and how often older ones are deleted.
  absl::Duration event_retention;
  absl::Duration event_prune_interval;
  NotifyConfig notify;
};

// Looks an environment variable up; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
// The process environment.
EnvLookup ProcessEnvironment();

// The variable that stands for a flag: "mysql_host" -> INCIDENTD_MYSQL_HOST.
std::string EnvVarForFlag(std::string_view flag);

// Sets every flag whose variable is set (and not empty). INVALID_ARGUMENT
// naming the variable when a value does not parse. Call before
// absl::ParseCommandLine so the command line overrides.
absl::Status ApplyEnvironment(const EnvLookup& env);

// The configuration from the current flag values; INVALID_ARGUMENT for
// values out of range.
absl::StatusOr<ServerConfig> ConfigFromFlags();

// One line for the start-up log: every setting except the password.
std::string DescribeConfig(const ServerConfig& config);

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_CONFIG_H_
