//! Drivers that work for any registered protocol: the scenario format, the playground facade,
//! time travel, randomized chaos, the gallery, share links and narrated tours.

pub mod chaos;
pub mod gallery;
pub mod link;
pub mod playground;
pub mod registry;
pub mod scenario;
pub mod timeline;
pub mod tour;
