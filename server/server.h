// The incidentd server assembled: store, executor, logic, gRPC services,
// reflection, health, the health monitor, the maintenance scheduler, the
// live updates (event hub, event service, pruner) and the notifications
// (subscription service, dispatcher, delivery workers), with the start-up
// and shutdown order they need.
#ifndef INCIDENTD_SERVER_SERVER_H_
#define INCIDENTD_SERVER_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "server/clock.h"
#include "server/component_logic.h"
#include "server/config.h"
#include "server/event_hub.h"
#include "server/event_pruner.h"
#include "server/executor.h"
#include "server/grpc_services.h"
#include "server/health_monitor.h"
#include "server/incident_logic.h"
#include "server/maintenance_scheduler.h"
#include "server/notify/delivery_worker.h"
#include "server/notify/dispatcher.h"
#include "server/notify/transport.h"
#include "server/page_logic.h"
#include "server/postmortem_logic.h"
#include "server/read_cache.h"
#include "server/subscription_logic.h"
#include "server/subscription_service.h"
#include "server/unary.h"
#include "server/watch_logic.h"
#include "server/watch_service.h"
#include "storage/store.h"

namespace incidentd {

// Waits (up to config.startup_db_wait, or until `stop`) for the database to
// answer, then applies migrations (config.auto_migrate) or checks the schema.
// FAILED_PRECONDITION when the database's schema is newer than this binary
// knows, or (without auto_migrate) not current; UNAVAILABLE when the
// database never answered; CANCELLED when stopped.
absl::Status PrepareDatabase(const ServerConfig& config, storage::Store& store,
                             const absl::Notification& stop);

class IncidentServer {
 public:
  IncidentServer(const ServerConfig& config,
                 std::unique_ptr<storage::Store> store);
  ~IncidentServer();

  IncidentServer(const IncidentServer&) = delete;
  IncidentServer& operator=(const IncidentServer&) = delete;

  // Listens. Until Ready(), health says NOT_SERVING and RPCs are UNAVAILABLE.
  absl::Status Start();
  // host:port actually bound (the chosen port when --listen gave 0).
  const std::string& address() const { return address_; }
  storage::Store& store() { return *store_; }

  // Accepts RPCs and watchers, and starts the health monitor (which turns
  // SERVING while the database answers), the maintenance scheduler, the
  // event tailer, the pruner, the dispatcher and the delivery workers.
  void Ready();

  // Graceful: NOT_SERVING; every watch stream ends at once with UNAVAILABLE
  // (clients resume elsewhere); in-flight RPCs get config.shutdown_grace to
  // finish; then background threads and the executor stop. Idempotent.
  void Shutdown();

 private:
  void SetServing(bool serving);

  const ServerConfig config_;
  RealClock clock_;
  std::unique_ptr<storage::Store> store_;
  Executor executor_;
  UnaryRunner runner_;
  // The event log as the live streams read it, and this replica's hub of
  // streams, which every logic below tells of its commits (so declared
  // before them).
  WatchLogic watch_logic_;
  EventHub event_hub_;
  ReadCache read_cache_;
  // Notifications: the transports, the workers that send (and are woken by
  // whatever makes deliveries due) and the dispatcher that turns committed
  // events into deliveries. Every commit is told to the hub and the
  // dispatcher both.
  std::unique_ptr<notify::WebhookTransport> webhooks_;
  std::unique_ptr<notify::MailTransport> mail_;
  notify::DeliveryWorkers delivery_workers_;
  notify::Dispatcher dispatcher_;
  TeeNotifier commit_notifier_;
  PageLogic page_logic_;
  ComponentLogic component_logic_;
  IncidentLogic incident_logic_;
  PostmortemLogic postmortem_logic_;
  SubscriptionLogic subscription_logic_;
  PageServiceImpl page_service_;
  ComponentServiceImpl component_service_;
  IncidentServiceImpl incident_service_;
  PostmortemServiceImpl postmortem_service_;
  EventServiceImpl event_service_;
  SubscriptionServiceImpl subscription_service_;
  HealthMonitor health_monitor_;
  MaintenanceScheduler scheduler_;
  EventPruner pruner_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  bool shut_down_ = false;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_SERVER_H_
