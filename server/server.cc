#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>

#include "server/logging.h"
#include "server/strings.h"
#include "storage/mysql/mysql_store.h"

namespace incidentd {
namespace {

// Health is reported for the server as a whole ("") and for each service.
constexpr const char* kServiceNames[] = {
    "incidentd.v1.PageService",
    "incidentd.v1.ComponentService",
    "incidentd.v1.IncidentService",
    "incidentd.v1.PostmortemService",
    "incidentd.v1.EventService",
    "incidentd.v1.SubscriptionService",
};

// Events per replay read and per tailer query: a few hundred rows is one
// short query, and a client far behind catches up in few of them.
constexpr int kEventBatch = 256;

EventHub::Options HubOptions(const ServerConfig& config) {
  EventHub::Options o;
  o.poll_interval = config.event_poll_interval;
  o.heartbeat_interval = config.heartbeat_interval;
  // Short: a read that cannot finish soon is better retried next round.
  o.read_deadline = std::min(config.default_deadline, absl::Seconds(5));
  // Half of the executor at most: streams catching up never starve RPCs.
  o.max_concurrent_reads = std::max(1, config.workers / 2);
  o.fetch_batch = kEventBatch;
  // Half a watcher's buffer at most, so that a burst handed over at once
  // never ends a watcher that keeps up but still has messages waiting.
  o.fetch_limit =
      std::max(1, std::min(4 * kEventBatch, config.watch_buffer / 2));
  return o;
}

ReadCache::Options CacheOptions(const ServerConfig& config) {
  ReadCache::Options o;
  o.capacity_bytes = static_cast<size_t>(config.read_cache_bytes);
  // As fresh as the live streams: other replicas' commits within a poll.
  o.poll_interval = config.event_poll_interval;
  // Missed polls are a slow or unreachable database. A few seconds of them
  // must not send every read to a database that is already struggling;
  // longer, and the answers may be out of date (writes may still reach it
  // through other replicas), so reads fail like the rest.
  o.verify_within = std::max(absl::Seconds(5), 20 * config.event_poll_interval);
  o.read_deadline = std::min(config.default_deadline, absl::Seconds(5));
  return o;
}

EventWatcher::Options WatcherOptions(const ServerConfig& config) {
  EventWatcher::Options o;
  o.buffer = config.watch_buffer;
  o.read_batch = kEventBatch;
  o.heartbeat_interval = config.heartbeat_interval;
  return o;
}

absl::Status CheckNotNewer(const ServerConfig& config) {
  absl::StatusOr<int> current = storage::CurrentSchemaVersion(config.mysql);
  if (!current.ok()) return current.status();
  const int known = storage::LatestSchemaVersion();
  if (*current > known) {
    return absl::FailedPreconditionError(
        StrCat("the database schema is at version ", *current,
               " but this binary knows versions up to ", known,
               "; run a newer incidentd"));
  }
  return absl::OkStatus();
}

notify::DeliveryOptions DeliveryOptionsFor(const ServerConfig& config) {
  notify::DeliveryOptions o;
  o.workers = config.notify.workers;
  o.poll_interval = config.notify.poll_interval;
  o.lease = config.notify.lease;
  o.retry = config.notify.retry;
  o.quarantine = config.notify.quarantine;
  o.mail_from = config.notify.mail_from;
  o.public_url = config.notify.public_url;
  o.owner = notify::NewLeaseOwner();
  return o;
}

SubscriptionOptions SubscriptionOptionsFor(const ServerConfig& config) {
  SubscriptionOptions o;
  o.max_subscribers_per_page = config.notify.max_subscribers_per_page;
  o.deny_private_webhooks = config.notify.webhook.deny_private;
  return o;
}

// curl_global_init must run before any thread uses curl: here, while the
// server is still being built on one thread.
std::unique_ptr<notify::WebhookTransport> WebhookTransportFor(
    const ServerConfig& config) {
  notify::InitCurl();
  return notify::NewCurlWebhookTransport(config.notify.webhook);
}

}  // namespace

absl::Status PrepareDatabase(const ServerConfig& config, storage::Store& store,
                             const absl::Notification& stop) {
  const absl::Time give_up = absl::Now() + config.startup_db_wait;
  absl::Status ping;
  bool warned = false;
  for (;;) {
    ping = store.Ping(absl::Now() +
                      std::min(absl::Seconds(2), config.mysql.connect_timeout));
    if (ping.ok()) break;
    if (!warned) {
      LogWarn("startup", "waiting up to ",
              absl::FormatDuration(config.startup_db_wait),
              " for the database: ", ping.ToString());
      warned = true;
    }
    if (absl::Now() >= give_up) {
      return absl::UnavailableError(StrCat(
          "the database did not answer within ",
          absl::FormatDuration(config.startup_db_wait), ": ", ping.ToString()));
    }
    if (stop.WaitForNotificationWithTimeout(absl::Milliseconds(250))) {
      return absl::CancelledError("stopped while waiting for the database");
    }
  }
  absl::Status newer = CheckNotNewer(config);
  if (!newer.ok()) return newer;
  if (config.auto_migrate) {
    absl::Status migrated = storage::ApplyMigrations(config.mysql);
    if (!migrated.ok()) return migrated;
    LogInfo("startup", "schema at version ", storage::LatestSchemaVersion());
    return absl::OkStatus();
  }
  return storage::CheckSchema(config.mysql);
}

IncidentServer::IncidentServer(const ServerConfig& config,
                               std::unique_ptr<storage::Store> store)
    : config_(config),
      store_(std::move(store)),
      executor_(config.workers, config.queue_capacity, clock_),
      runner_(executor_, clock_, config.default_deadline, config.log_reads),
      watch_logic_(*store_, clock_),
      event_hub_(
          watch_logic_, clock_,
          [this](absl::Time deadline, Executor::Task task) {
            return executor_.Submit(deadline, std::move(task));
          },
          HubOptions(config)),
      read_cache_(watch_logic_, clock_, CacheOptions(config)),
      webhooks_(WebhookTransportFor(config)),
      mail_(notify::NewCurlMailTransport(config.notify.mail)),
      delivery_workers_(*store_, clock_, *webhooks_, *mail_,
                        DeliveryOptionsFor(config)),
      dispatcher_(*store_, clock_, delivery_workers_,
                  config.notify.poll_interval, config.event_retention),
      // The cache first: its answers must be gone before the RPC returns.
      commit_notifier_({&read_cache_, &event_hub_, &dispatcher_}),
      page_logic_(*store_, clock_, commit_notifier_, &read_cache_),
      component_logic_(*store_, clock_, commit_notifier_),
      incident_logic_(*store_, clock_, commit_notifier_, &read_cache_),
      postmortem_logic_(*store_, clock_, commit_notifier_),
      subscription_logic_(*store_, clock_, delivery_workers_,
                          SubscriptionOptionsFor(config)),
      page_service_(page_logic_, runner_),
      component_service_(component_logic_, runner_),
      incident_service_(incident_logic_, runner_),
      postmortem_service_(postmortem_logic_, runner_),
      event_service_(watch_logic_, event_hub_, runner_, clock_,
                     WatcherOptions(config)),
      subscription_service_(subscription_logic_, runner_),
      health_monitor_(*store_, clock_, config.health_interval,
                      [this](bool serving) { SetServing(serving); }),
      scheduler_(*store_, incident_logic_, executor_, clock_,
                 config.maintenance_interval, config.default_deadline,
                 config.notify.reminder_lead),
      pruner_(*store_, executor_, clock_, config.event_retention,
              config.event_prune_interval, config.default_deadline) {
  watch_logic_.UseReadCache(&read_cache_);
}

IncidentServer::~IncidentServer() { Shutdown(); }

absl::Status IncidentServer::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config_.listen, grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&page_service_);
  builder.RegisterService(&component_service_);
  builder.RegisterService(&incident_service_);
  builder.RegisterService(&postmortem_service_);
  builder.RegisterService(&event_service_);
  builder.RegisterService(&subscription_service_);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port == 0) {
    server_.reset();
    return absl::UnavailableError(StrCat("cannot listen on ", config_.listen));
  }
  SetServing(false);
  const size_t colon = config_.listen.rfind(':');
  address_ = StrCat(config_.listen.substr(0, colon), ":", port);
  return absl::OkStatus();
}

void IncidentServer::SetServing(bool serving) {
  if (server_ == nullptr) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus("", serving);
  for (const char* service : kServiceNames) {
    health->SetServingStatus(service, serving);
  }
}

void IncidentServer::Ready() {
  runner_.SetAccepting(true);
  event_hub_.Start();
  read_cache_.Start();
  health_monitor_.Start();
  scheduler_.Start();
  pruner_.Start();
  dispatcher_.Start();
  delivery_workers_.Start();
}

void IncidentServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ != nullptr) {
    // Load balancers stop sending first; later health updates are ignored.
    if (grpc::HealthCheckServiceInterface* health =
            server_->GetHealthCheckService()) {
      health->Shutdown();
    }
  }
  health_monitor_.Stop();
  read_cache_.Stop();
  scheduler_.Stop();
  pruner_.Stop();
  // Deliveries in flight finish (each bounded by its transport's timeout);
  // one cut short is sent again by whichever replica takes it over.
  dispatcher_.Stop();
  delivery_workers_.Stop();
  // Streams never end by themselves: ended now, they do not hold the
  // shutdown for the whole grace, and their clients move to another replica
  // at once.
  event_hub_.Shutdown(absl::UnavailableError(
      "server shutting down; reconnect (to another replica) and resume from "
      "your last sequence"));
  if (server_ != nullptr) {
    // The executor keeps running meanwhile: in-flight calls finish on it.
    server_->Shutdown(absl::ToChronoTime(absl::Now() + config_.shutdown_grace));
  }
  executor_.Shutdown();
  if (server_ != nullptr) server_->Wait();
}

}  // namespace incidentd
