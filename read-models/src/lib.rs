//! The MongoDB read models, shared by the projectors that write them and the
//! query-api that serves them: database and collection names, the shape of
//! every document, the indexes the queries need, and the pure fold of events
//! into documents ([`sales::apply`]), so that the live projector and a
//! rebuild from the event store compute exactly the same documents; and the
//! operational documents of MongoDB `core` ([`core_db`]: system logs and
//! notifications) that several services share.

pub mod core_db;
pub mod mongo;
pub mod sales;
