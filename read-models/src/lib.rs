//! The MongoDB read models, shared by the projectors that write them and the
//! query-api that serves them: database and collection names, the shape of
//! every document, the indexes the queries need, and the pure fold of events
//! into documents ([`sales::apply`]), so that the live projector and a
//! rebuild from the event store compute exactly the same documents.

pub mod mongo;
pub mod sales;
