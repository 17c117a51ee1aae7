//! A `requestAnimationFrame` loop that calls a closure every frame until it is dropped.

use gloo::render::{request_animation_frame, AnimationFrame};
use std::cell::RefCell;
use std::rc::{Rc, Weak};

type FrameFn = Box<dyn Fn(f64)>;

struct State {
    pending: RefCell<Option<AnimationFrame>>,
    on_frame: FrameFn,
}

/// Runs `on_frame(timestamp_ms)` once per animation frame; dropping it cancels the next frame.
pub struct FrameLoop {
    state: Rc<State>,
}

impl FrameLoop {
    /// Start the loop.
    pub fn start(on_frame: impl Fn(f64) + 'static) -> FrameLoop {
        let state = Rc::new(State {
            pending: RefCell::new(None),
            on_frame: Box::new(on_frame),
        });
        schedule(Rc::downgrade(&state));
        FrameLoop { state }
    }
}

fn schedule(weak: Weak<State>) {
    let Some(state) = weak.upgrade() else {
        return;
    };
    let next = weak.clone();
    let handle = request_animation_frame(move |t| {
        // The loop holds only a weak reference: once the FrameLoop is dropped, this is a no-op.
        if let Some(state) = next.upgrade() {
            (state.on_frame)(t);
            schedule(next.clone());
        }
    });
    *state.pending.borrow_mut() = Some(handle);
}

impl Drop for FrameLoop {
    fn drop(&mut self) {
        self.state.pending.borrow_mut().take();
    }
}
