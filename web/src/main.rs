//! Entry point of the page (built by Trunk).

fn main() {
    netsplit_web::start();
}
