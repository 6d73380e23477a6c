//! Pins that change at run time (feature `dynamic`): signed bundles ([`bundle`]), the store
//! that combines them with the static policy ([`pin_store`]) and the refresher that fetches
//! them ([`refresh`]).

pub mod bundle;
pub mod pin_store;
pub mod refresh;
