//! A PrestaShop Webservice simulator (work in progress: see crates/prestashop-sim/README.md).
