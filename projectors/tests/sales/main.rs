//! The sales projector and its rebuild, the profiles projector, and users
//! end to end through the auth service, against real PostgreSQL (through the
//! real command API), real NATS JetStream and a real MongoDB-wire server.

mod e2e;
mod faults;
mod finance;
mod finance_rebuild;
mod finance_stress;
mod helpers;
mod parking;
mod profiles;
mod projection;
mod rebuild;
mod settled;
mod users;
