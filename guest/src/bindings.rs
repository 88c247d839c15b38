//! The component's WIT world (`wit/client.wit`): the host services it
//! imports (`wit/host.wit`) and the registry operations it exports, which
//! `src/main.rs` binds to [`crate::api`] with [`export!`].

#![allow(unsafe_code)] // the import and export glue wit-bindgen generates

wit_bindgen::generate!({
    world: "client",
    path: "../wit",
    pub_export_macro: true,
    export_macro_name: "export",
    generate_all,
});
