//! What the server insists on about its database handle and its contents.

use std::sync::Arc;

use crate::both_databases;

both_databases! {
    async fn a_second_access_change_hook_is_refused_not_ignored(app) {
        // The app's key cache registered the one hook at start; another would
        // never hear a change, so registering it is an error the caller sees.
        let refused = app.db.on_access_change(Arc::new(|_| {}));
        let error = refused.expect_err("a second hook is refused");
        assert!(error.to_string().contains("already"), "{error}");
        // A clone of the handle is the same handle.
        assert!(app.db.clone().on_access_change(Arc::new(|_| {})).is_err());
    }
}
