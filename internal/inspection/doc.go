// Package inspection is the application core of ruqi: the steps in the life
// of an administrative inspection of an enterprise (涉企行政检查, the subject of
// the reform) — registering it (报备), the enterprise's scan (扫码核验),
// refusal, results, evaluation (评价), complaint, cancellation (撤销) — and the
// supervisor's leads (问题线索) they raise.
//
// The name is the reform's own term for what every step is about. Each step
// is a function of the transaction, the principal, the time and a domain
// input, returning a domain result or a *domain.Error; it knows nothing of
// gRPC. internal/service keeps authentication, proto mapping and the error
// table; internal/domain keeps the pure rules these steps apply.
//
// Every step writes what it did through one Journal, which appends the event,
// adds the report counters (internal/report owns their keys) and opens any
// lead, in the step's transaction.
package inspection
