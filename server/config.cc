#include "server/config.h"

#include <cctype>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_format.h"
#include "server/strings.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "address to serve gRPC on, host:port (port 0 picks a free one)");
ABSL_FLAG(std::string, mysql_host, "127.0.0.1", "MySQL/MariaDB host");
ABSL_FLAG(int, mysql_port, 3306, "MySQL/MariaDB port");
ABSL_FLAG(std::string, mysql_user, "incidentd", "database user");
ABSL_FLAG(std::string, mysql_password, "",
          "database password (prefer INCIDENTD_MYSQL_PASSWORD: command lines "
          "are visible to other users)");
ABSL_FLAG(std::string, mysql_database, "incidentd", "database (schema) name");
ABSL_FLAG(int, pool_size, 8,
          "database connections, and as many executor threads");
// Four waiting tasks per worker: at a few milliseconds per transaction a
// full queue adds a few transactions' worth of latency, enough to absorb a
// burst; beyond that queued work would only run into its deadline later
// (the Exalate outage), so the caller is better told RESOURCE_EXHAUSTED now.
ABSL_FLAG(int, queue_capacity, 0,
          "requests that may wait for an executor thread; 0 means 4 x "
          "pool_size");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(3),
          "database connect timeout");
ABSL_FLAG(absl::Duration, read_timeout, absl::Seconds(10),
          "database socket read timeout");
ABSL_FLAG(absl::Duration, write_timeout, absl::Seconds(10),
          "database socket write timeout");
ABSL_FLAG(absl::Duration, lock_wait_timeout, absl::Seconds(5),
          "InnoDB lock wait timeout (whole seconds, at least 1s)");
ABSL_FLAG(absl::Duration, default_deadline, absl::Seconds(10),
          "deadline of an RPC whose client set none");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "on SIGTERM, how long in-flight RPCs may take to finish");
ABSL_FLAG(absl::Duration, maintenance_interval, absl::Seconds(5),
          "how often scheduled maintenance is started and completed");
ABSL_FLAG(absl::Duration, health_interval, absl::Seconds(1),
          "how often the database is probed for the health service");
ABSL_FLAG(absl::Duration, startup_db_wait, absl::Seconds(30),
          "how long start-up waits for the database before giving up");
ABSL_FLAG(bool, auto_migrate, true,
          "apply schema migrations at start-up; when false, refuse to start "
          "unless the schema is current");
// 100ms keeps a write through another replica well under the 250ms p99
// target at one cheap query (LastSequences over the watched pages) per tick.
ABSL_FLAG(absl::Duration, event_poll_interval, absl::Milliseconds(100),
          "how often each replica looks for events written through other "
          "replicas (its own writes reach its watchers at once)");
// 64 MiB holds the status and open incidents of thousands of pages; a read
// that hits costs microseconds on gRPC's thread instead of a transaction.
ABSL_FLAG(int64_t, read_cache_bytes, int64_t{64} << 20,
          "memory for cached GetPageStatus and GetIncident answers, kept "
          "until their page changes (other replicas' changes are seen "
          "within --event_poll_interval); 0 turns the cache off");
ABSL_FLAG(bool, log_reads, false,
          "log every successful read RPC (Get*, List*, Count*); changes, "
          "failures and reads slower than 100ms are always logged");
ABSL_FLAG(absl::Duration, heartbeat_interval, absl::Seconds(15),
          "an idle watch stream gets a heartbeat this often");
ABSL_FLAG(int, watch_buffer, 1024,
          "events that may wait for a watcher that reads slowly; when full, "
          "its stream ends with RESOURCE_EXHAUSTED and it resumes");
ABSL_FLAG(absl::Duration, event_retention, absl::Hours(720),
          "how long events are kept for resuming watchers and ListEvents");
ABSL_FLAG(absl::Duration, event_prune_interval, absl::Minutes(1),
          "how often events older than --event_retention are deleted");

// Four threads: sending waits on the network (up to --webhook_timeout), so
// a few slow receivers must not hold up everyone else's notifications.
ABSL_FLAG(int, delivery_workers, 4,
          "threads sending notifications (each holds a database connection); "
          "0 leaves sending to other replicas");
ABSL_FLAG(absl::Duration, delivery_poll_interval, absl::Milliseconds(500),
          "how often notifications written through other replicas are "
          "looked for (this replica's own go out at once)");
ABSL_FLAG(absl::Duration, delivery_lease, absl::Seconds(60),
          "how long a worker holds a subscriber; a crashed replica's "
          "subscribers are taken over after this");
ABSL_FLAG(absl::Duration, retry_initial_delay, absl::Seconds(10),
          "delay before the first retry of a failed notification; doubles "
          "with each failure (with jitter)");
ABSL_FLAG(absl::Duration, retry_max_delay, absl::Hours(1),
          "the longest delay between two attempts");
ABSL_FLAG(absl::Duration, retry_horizon, absl::Hours(24),
          "how long a notification is retried before it is marked failed");
ABSL_FLAG(int, quarantine_failures, 10,
          "failed attempts in a row after which a subscriber is quarantined "
          "(when they also span --quarantine_window)");
ABSL_FLAG(absl::Duration, quarantine_window, absl::Hours(1),
          "how long the failures must span before quarantine");
ABSL_FLAG(absl::Duration, maintenance_reminder, absl::Minutes(60),
          "subscribers are reminded this long before a maintenance starts; "
          "0 for no reminders");
ABSL_FLAG(int, max_subscribers_per_page, 100000,
          "subscribers a page may have");
ABSL_FLAG(std::string, public_url, "",
          "base of the confirm and unsubscribe links in mails "
          "(<url>/confirm?token=...); the page's URL when empty");
ABSL_FLAG(absl::Duration, webhook_timeout, absl::Seconds(10),
          "a webhook must answer 2xx within this");
ABSL_FLAG(bool, deny_private_webhooks, true,
          "refuse webhook URLs and addresses that are private, loopback or "
          "link-local (turn off only for tests and closed networks)");
ABSL_FLAG(std::string, smtp_url, "smtp://127.0.0.1:25",
          "the mail relay: smtp://host:port (STARTTLS per "
          "--smtp_require_starttls) or smtps://host:port");
ABSL_FLAG(bool, smtp_require_starttls, false,
          "refuse to send mail unless the relay speaks STARTTLS");
ABSL_FLAG(std::string, smtp_user, "", "relay user; empty for none");
ABSL_FLAG(std::string, smtp_password, "",
          "relay password (prefer INCIDENTD_SMTP_PASSWORD)");
ABSL_FLAG(std::string, mail_from, "incidentd <incidentd@localhost>",
          "From of notification mails");

namespace incidentd {
namespace {

// Every flag that has an environment variable: all of ours.
constexpr std::string_view kFlags[] = {
    "listen",           "mysql_host",      "mysql_port",
    "mysql_user",       "mysql_password",  "mysql_database",
    "pool_size",        "queue_capacity",  "connect_timeout",
    "read_timeout",     "write_timeout",   "lock_wait_timeout",
    "default_deadline", "shutdown_grace",  "maintenance_interval",
    "health_interval",  "startup_db_wait", "auto_migrate",
    "event_poll_interval",  "heartbeat_interval",
    "read_cache_bytes",     "log_reads",
    "watch_buffer",         "event_retention",
    "event_prune_interval",
    "delivery_workers",     "delivery_poll_interval",
    "delivery_lease",       "retry_initial_delay",
    "retry_max_delay",      "retry_horizon",
    "quarantine_failures",  "quarantine_window",
    "maintenance_reminder", "max_subscribers_per_page",
    "public_url",           "webhook_timeout",
    "deny_private_webhooks", "smtp_url",
    "smtp_require_starttls", "smtp_user",
    "smtp_password",        "mail_from",
};

absl::Status Positive(std::string_view flag, absl::Duration d) {
  if (d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(StrCat("--", flag, " must be positive"));
  }
  return absl::OkStatus();
}

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::string EnvVarForFlag(std::string_view flag) {
  std::string name = "INCIDENTD_";
  for (char c : flag) {
    name.push_back(
        static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return name;
}

absl::Status ApplyEnvironment(const EnvLookup& env) {
  for (std::string_view flag : kFlags) {
    const std::string var = EnvVarForFlag(flag);
    std::optional<std::string> value = env(var);
    if (!value.has_value() || value->empty()) continue;
    absl::CommandLineFlag* handle = absl::FindCommandLineFlag(ToAbsl(flag));
    if (handle == nullptr) {
      return absl::InternalError(StrCat("no flag --", flag));
    }
    std::string error;
    if (!handle->ParseFrom(*value, &error)) {
      // Only non-string flags can fail to parse, so the password is
      // never part of this message.
      return absl::InvalidArgumentError(
          StrCat(var, ": cannot parse the value: ", error));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ServerConfig> ConfigFromFlags() {
  ServerConfig c;
  c.listen = absl::GetFlag(FLAGS_listen);
  if (c.listen.empty()) return absl::InvalidArgumentError("--listen is empty");

  c.mysql.host = absl::GetFlag(FLAGS_mysql_host);
  c.mysql.port = absl::GetFlag(FLAGS_mysql_port);
  if (c.mysql.port < 1 || c.mysql.port > 65535) {
    return absl::InvalidArgumentError("--mysql_port must be 1 to 65535");
  }
  c.mysql.user = absl::GetFlag(FLAGS_mysql_user);
  c.mysql.password = absl::GetFlag(FLAGS_mysql_password);
  c.mysql.database = absl::GetFlag(FLAGS_mysql_database);
  c.mysql.connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  c.mysql.read_timeout = absl::GetFlag(FLAGS_read_timeout);
  c.mysql.write_timeout = absl::GetFlag(FLAGS_write_timeout);
  c.mysql.lock_wait_timeout = absl::GetFlag(FLAGS_lock_wait_timeout);
  if (c.mysql.lock_wait_timeout < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        "--lock_wait_timeout must be at least 1s");
  }

  c.workers = absl::GetFlag(FLAGS_pool_size);
  if (c.workers < 1 || c.workers > 512) {
    return absl::InvalidArgumentError("--pool_size must be 1 to 512");
  }
  c.notify.workers = absl::GetFlag(FLAGS_delivery_workers);
  if (c.notify.workers < 0 || c.notify.workers > 256) {
    return absl::InvalidArgumentError("--delivery_workers must be 0 to 256");
  }
  // One connection per executor worker, plus one each for the threads that
  // must never wait behind request work: the health probe and the event
  // tailer (live streams keep flowing while requests queue), the
  // notification dispatcher and each delivery worker (notifications keep
  // flowing too, and a burst of them never takes connections from RPCs).
  // The read cache's poller is one more such thread, when the cache is on.
  c.read_cache_bytes = absl::GetFlag(FLAGS_read_cache_bytes);
  if (c.read_cache_bytes < 0 || c.read_cache_bytes > (int64_t{1} << 40)) {
    return absl::InvalidArgumentError(
        "--read_cache_bytes must be 0 (off) to 1 TiB");
  }
  c.mysql.pool_size =
      c.workers + 2 + 1 + c.notify.workers + (c.read_cache_bytes > 0 ? 1 : 0);
  c.queue_capacity = absl::GetFlag(FLAGS_queue_capacity);
  if (c.queue_capacity < 0) {
    return absl::InvalidArgumentError("--queue_capacity must be 0 or more");
  }
  if (c.queue_capacity == 0) c.queue_capacity = 4 * c.workers;

  c.default_deadline = absl::GetFlag(FLAGS_default_deadline);
  c.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  c.maintenance_interval = absl::GetFlag(FLAGS_maintenance_interval);
  c.health_interval = absl::GetFlag(FLAGS_health_interval);
  c.startup_db_wait = absl::GetFlag(FLAGS_startup_db_wait);
  for (auto [flag, d] : {std::pair<std::string_view, absl::Duration>{
                             "connect_timeout", c.mysql.connect_timeout},
                         {"read_timeout", c.mysql.read_timeout},
                         {"write_timeout", c.mysql.write_timeout},
                         {"default_deadline", c.default_deadline},
                         {"maintenance_interval", c.maintenance_interval},
                         {"health_interval", c.health_interval}}) {
    absl::Status s = Positive(flag, d);
    if (!s.ok()) return s;
  }
  if (c.shutdown_grace < absl::ZeroDuration() ||
      c.startup_db_wait < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--shutdown_grace and --startup_db_wait must not be negative");
  }
  c.auto_migrate = absl::GetFlag(FLAGS_auto_migrate);
  c.log_reads = absl::GetFlag(FLAGS_log_reads);

  c.event_poll_interval = absl::GetFlag(FLAGS_event_poll_interval);
  c.heartbeat_interval = absl::GetFlag(FLAGS_heartbeat_interval);
  c.event_retention = absl::GetFlag(FLAGS_event_retention);
  c.event_prune_interval = absl::GetFlag(FLAGS_event_prune_interval);
  for (auto [flag, d] : {std::pair<std::string_view, absl::Duration>{
                             "event_poll_interval", c.event_poll_interval},
                         {"heartbeat_interval", c.heartbeat_interval},
                         {"event_retention", c.event_retention},
                         {"event_prune_interval", c.event_prune_interval}}) {
    absl::Status s = Positive(flag, d);
    if (!s.ok()) return s;
  }
  NotifyConfig& n = c.notify;
  n.poll_interval = absl::GetFlag(FLAGS_delivery_poll_interval);
  n.lease = absl::GetFlag(FLAGS_delivery_lease);
  n.retry.initial_delay = absl::GetFlag(FLAGS_retry_initial_delay);
  n.retry.max_delay = absl::GetFlag(FLAGS_retry_max_delay);
  n.retry.horizon = absl::GetFlag(FLAGS_retry_horizon);
  n.quarantine.failures = absl::GetFlag(FLAGS_quarantine_failures);
  n.quarantine.window = absl::GetFlag(FLAGS_quarantine_window);
  n.reminder_lead = absl::GetFlag(FLAGS_maintenance_reminder);
  n.max_subscribers_per_page = absl::GetFlag(FLAGS_max_subscribers_per_page);
  n.public_url = absl::GetFlag(FLAGS_public_url);
  n.mail_from = absl::GetFlag(FLAGS_mail_from);
  n.webhook.timeout = absl::GetFlag(FLAGS_webhook_timeout);
  n.webhook.deny_private = absl::GetFlag(FLAGS_deny_private_webhooks);
  n.mail.url = absl::GetFlag(FLAGS_smtp_url);
  n.mail.require_starttls = absl::GetFlag(FLAGS_smtp_require_starttls);
  n.mail.user = absl::GetFlag(FLAGS_smtp_user);
  n.mail.password = absl::GetFlag(FLAGS_smtp_password);
  for (auto [flag, d] : {std::pair<std::string_view, absl::Duration>{
                             "delivery_poll_interval", n.poll_interval},
                         {"delivery_lease", n.lease},
                         {"retry_initial_delay", n.retry.initial_delay},
                         {"retry_max_delay", n.retry.max_delay},
                         {"retry_horizon", n.retry.horizon},
                         {"webhook_timeout", n.webhook.timeout}}) {
    absl::Status s = Positive(flag, d);
    if (!s.ok()) return s;
  }
  // The lease must outlive an attempt: a worker stops taking work at half
  // of it, and an attempt takes up to the webhook timeout.
  if (n.lease < 2 * n.webhook.timeout + absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        "--delivery_lease must exceed twice --webhook_timeout");
  }
  if (n.quarantine.failures < 1 ||
      n.quarantine.window < absl::ZeroDuration() ||
      n.reminder_lead < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--quarantine_failures must be at least 1; --quarantine_window and "
        "--maintenance_reminder must not be negative");
  }
  if (n.max_subscribers_per_page < 1) {
    return absl::InvalidArgumentError(
        "--max_subscribers_per_page must be at least 1");
  }
  if (n.mail.url.rfind("smtp://", 0) != 0 &&
      n.mail.url.rfind("smtps://", 0) != 0) {
    return absl::InvalidArgumentError(
        "--smtp_url must start with smtp:// or smtps://");
  }
  c.watch_buffer = absl::GetFlag(FLAGS_watch_buffer);
  if (c.watch_buffer < 1 || c.watch_buffer > 1000000) {
    return absl::InvalidArgumentError("--watch_buffer must be 1 to 1000000");
  }
  return c;
}

std::string DescribeConfig(const ServerConfig& c) {
  return absl::StrFormat(
      "listen=%s mysql=%s@%s:%d/%s pool_size=%d queue_capacity=%d "
      "connect_timeout=%s read_timeout=%s write_timeout=%s "
      "lock_wait_timeout=%s default_deadline=%s shutdown_grace=%s "
      "maintenance_interval=%s health_interval=%s startup_db_wait=%s "
      "auto_migrate=%s log_reads=%s event_poll_interval=%s "
      "read_cache_bytes=%d "
      "heartbeat_interval=%s "
      "watch_buffer=%d event_retention=%s event_prune_interval=%s "
      "delivery_workers=%d delivery_poll_interval=%s delivery_lease=%s "
      "retry=%s..%s for %s quarantine=%d over %s maintenance_reminder=%s "
      "max_subscribers_per_page=%d public_url=%s webhook_timeout=%s "
      "deny_private_webhooks=%s smtp_url=%s smtp_require_starttls=%s "
      "smtp_user=%s mail_from=%s",
      c.listen, c.mysql.user, c.mysql.host, c.mysql.port, c.mysql.database,
      c.workers, c.queue_capacity,
      absl::FormatDuration(c.mysql.connect_timeout),
      absl::FormatDuration(c.mysql.read_timeout),
      absl::FormatDuration(c.mysql.write_timeout),
      absl::FormatDuration(c.mysql.lock_wait_timeout),
      absl::FormatDuration(c.default_deadline),
      absl::FormatDuration(c.shutdown_grace),
      absl::FormatDuration(c.maintenance_interval),
      absl::FormatDuration(c.health_interval),
      absl::FormatDuration(c.startup_db_wait),
      c.auto_migrate ? "true" : "false", c.log_reads ? "true" : "false",
      absl::FormatDuration(c.event_poll_interval), c.read_cache_bytes,
      absl::FormatDuration(c.heartbeat_interval), c.watch_buffer,
      absl::FormatDuration(c.event_retention),
      absl::FormatDuration(c.event_prune_interval), c.notify.workers,
      absl::FormatDuration(c.notify.poll_interval),
      absl::FormatDuration(c.notify.lease),
      absl::FormatDuration(c.notify.retry.initial_delay),
      absl::FormatDuration(c.notify.retry.max_delay),
      absl::FormatDuration(c.notify.retry.horizon),
      c.notify.quarantine.failures,
      absl::FormatDuration(c.notify.quarantine.window),
      absl::FormatDuration(c.notify.reminder_lead),
      c.notify.max_subscribers_per_page, c.notify.public_url,
      absl::FormatDuration(c.notify.webhook.timeout),
      c.notify.webhook.deny_private ? "true" : "false", c.notify.mail.url,
      c.notify.mail.require_starttls ? "true" : "false", c.notify.mail.user,
      c.notify.mail_from);
}

}  // namespace incidentd
