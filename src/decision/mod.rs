//! The decision engine: which entry of a policy governs a host ([`resolution`]), the pin
//! check of one policy on one path ([`pin_check`]), how one candidate path is judged against
//! one or more policies ([`judge`]), how the verdicts on every candidate path become one
//! finding ([`search`]), and what a decision is explained and refused with ([`explain`],
//! [`error`]).
//!
//! Verifiers only decide where candidate paths come from; everything that decides whether a
//! path is acceptable lives here, once. Nothing here knows about verifiers or reports.

pub(crate) mod error;
pub(crate) mod explain;
pub(crate) mod judge;
pub(crate) mod pin_check;
pub(crate) mod resolution;
pub(crate) mod search;

pub(crate) use resolution::{host_text, resolve, Resolution, ServerLayers};
