//! Registering a test: a test is a plain `async fn` taking the app it runs
//! against, followed by ONE line that says on which databases it runs and how
//! its app starts:
//!
//! ```ignore
//! async fn an_org_key_says_who_it_is(app: TestApp) {
//!     …
//! }
//! both_databases!(an_org_key_says_who_it_is);
//! ```
//!
//! Each line makes a module named after the test with one `#[actix_web::test]`
//! per database, so the test's full name is `<module>::<name>::sqlite` and
//! `<module>::<name>::postgres` (filter with either). The PostgreSQL run is
//! skipped when PostgreSQL is unreachable, unless `TEST_REQUIRE_POSTGRES=1`.
//!
//! - `both_databases!(name)`: default options, the real clock;
//! - `both_databases!(name, at_epoch)`: the clock stands still at `test_epoch()`
//!   until the test moves it;
//! - `both_databases!(name, at_epoch, with = |options: Options| Options { … })`:
//!   the same, with the options changed by the closure;
//! - `postgres_only!(name, at_epoch)`: PostgreSQL only (`name::postgres`);
//! - `platform_tests!(name)`: `async fn name(app: TestApp, standin: StandIn)`,
//!   the app's five platforms pointed at a stand-in; `platform_tests!(name,
//!   using = setup)` runs `setup(&mut Options)` first;
//! - `each_platform!(name)`: `async fn name(app, standin, platform: Platform)`,
//!   once per platform (`name::<platform>::sqlite`); `each_platform!(name,
//!   only = [github, gitlab])` for some.
//!
//! Attributes written before the name (`both_databases!(#[ignore = "why"] name)`)
//! apply to every run.

use monkeyci_accounts::clock::FixedClock;

use crate::support::{Backend, Options, TestApp, test_epoch};

/// An app on `backend` with `change` applied to its options first; `None`
/// when PostgreSQL is unreachable and not required (the run is skipped).
pub async fn spawn(backend: Backend, change: impl FnOnce(Options) -> Options) -> Option<TestApp> {
    let options = change(Options::new(backend));
    match backend {
        Backend::Sqlite => Some(TestApp::spawn_with(options).await),
        Backend::Postgres => TestApp::spawn_with_postgres(options).await,
    }
}

/// The app's clock stands still at [`test_epoch`] until the test moves it.
pub fn at_epoch(options: Options) -> Options {
    Options { clock: Some(FixedClock::at(test_epoch())), ..options }
}

/// Runs `async fn name(app: TestApp)` on SQLite and on PostgreSQL (see the module docs).
#[macro_export]
macro_rules! both_databases {
    ($(#[$meta:meta])* $name:ident $(,)?) => {
        $crate::both_databases!(@register [$(#[$meta])*] $name, |options| options);
    };
    ($(#[$meta:meta])* $name:ident, at_epoch $(,)?) => {
        $crate::both_databases!(@register [$(#[$meta])*] $name, $crate::support::register::at_epoch);
    };
    ($(#[$meta:meta])* $name:ident, at_epoch, with = $change:expr $(,)?) => {
        $crate::both_databases!(
            @register [$(#[$meta])*] $name,
            |options| ($change)($crate::support::register::at_epoch(options))
        );
    };
    (@register [$($meta:tt)*] $name:ident, $setup:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $($meta)*
            #[actix_web::test]
            async fn sqlite() {
                let app = $crate::support::register::spawn($crate::support::Backend::Sqlite, $setup)
                    .await
                    .expect("SQLite is always there");
                super::$name(app).await
            }

            $($meta)*
            #[actix_web::test]
            async fn postgres() {
                let Some(app) =
                    $crate::support::register::spawn($crate::support::Backend::Postgres, $setup).await
                else {
                    return;
                };
                super::$name(app).await
            }
        }
    };
}

/// Runs `async fn name(app: TestApp)` on PostgreSQL only (for what only it has,
/// such as several instances on one database): `name::postgres`.
#[macro_export]
macro_rules! postgres_only {
    ($(#[$meta:meta])* $name:ident, at_epoch $(,)?) => {
        $crate::postgres_only!($(#[$meta])* $name, at_epoch, with = |options| options);
    };
    ($(#[$meta:meta])* $name:ident, at_epoch, with = $change:expr $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$meta])*
            #[actix_web::test]
            async fn postgres() {
                let Some(app) = $crate::support::register::spawn(
                    $crate::support::Backend::Postgres,
                    |options| ($change)($crate::support::register::at_epoch(options)),
                )
                .await
                else {
                    return;
                };
                super::$name(app).await
            }
        }
    };
}

/// Runs `async fn name(app: TestApp, standin: StandIn)` on both databases, the
/// app's platforms pointed at the stand-in (`using = setup` changes the options first).
#[macro_export]
macro_rules! platform_tests {
    ($(#[$meta:meta])* $name:ident $(,)?) => {
        $crate::platform_tests!($(#[$meta])* $name, using = $crate::platforms::all_platforms);
    };
    ($(#[$meta:meta])* $name:ident, using = $setup:path $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$meta])*
            #[actix_web::test]
            async fn sqlite() {
                let Some((app, standin)) =
                    $crate::platforms::spawn($crate::support::Backend::Sqlite, $setup).await
                else {
                    unreachable!("SQLite always runs")
                };
                super::$name(app, standin).await
            }

            $(#[$meta])*
            #[actix_web::test]
            async fn postgres() {
                let Some((app, standin)) =
                    $crate::platforms::spawn($crate::support::Backend::Postgres, $setup).await
                else {
                    return;
                };
                super::$name(app, standin).await
            }
        }
    };
}

/// Runs `async fn name(app: TestApp, standin: StandIn, platform: Platform)` on
/// both databases once per platform (`only = [github, gitlab]`: for those):
/// `name::<platform>::sqlite`.
#[macro_export]
macro_rules! each_platform {
    ($(#[$meta:meta])* $name:ident $(,)?) => {
        $crate::each_platform!($(#[$meta])* $name, only = [github, gitlab, bitbucket, codeberg, oidc]);
    };
    ($(#[$meta:meta])* $name:ident, only = [$($slug:ident),+ $(,)?] $(,)?) => {
        $crate::each_platform!(@module [$(#[$meta])*] $name, [$($slug),+]);
    };
    (@module $meta:tt $name:ident, [$($slug:ident),+]) => {
        mod $name {
            $( $crate::each_platform!(@on $meta $name, $slug); )+
        }
    };
    (@on [$($meta:tt)*] $name:ident, $slug:ident) => {
        mod $slug {
            $($meta)*
            #[actix_web::test]
            async fn sqlite() {
                let platform = $crate::standins::Platform::from_slug(stringify!($slug));
                let Some((app, standin)) = $crate::platforms::spawn(
                    $crate::support::Backend::Sqlite,
                    $crate::platforms::all_platforms,
                )
                .await
                else {
                    unreachable!("SQLite always runs")
                };
                super::super::$name(app, standin, platform).await
            }

            $($meta)*
            #[actix_web::test]
            async fn postgres() {
                let platform = $crate::standins::Platform::from_slug(stringify!($slug));
                let Some((app, standin)) = $crate::platforms::spawn(
                    $crate::support::Backend::Postgres,
                    $crate::platforms::all_platforms,
                )
                .await
                else {
                    return;
                };
                super::super::$name(app, standin, platform).await
            }
        }
    };
}
