//! The simulator's contract tests, in one binary: every capture of a real PrestaShop 8.2.1 replayed
//! (`every_capture_replays`), and focused tests of authentication, formats, write semantics, queries,
//! orders, the `fulfillment_connector` module and the test controls.

mod auth;
mod capture;
mod catalog_pages;
mod catalog_publishing;
mod connector;
mod controls;
mod every_capture_replays;
mod formats;
mod images;
mod languages;
mod orders;
mod reads;
mod support;
mod writes;
