//! Challenges on the page: a goal from core's registry checked live by the same predicates as
//! the tours' claims (core's `GoalWatch`), "not yet" with each check's reason or "done ✓",
//! "Show solution" replaying core's solution, and the progress kept in local storage
//! ([`Book`], behind the [`Store`] trait: a storage failure never breaks the page).

use crate::model::action::Notice;
use crate::model::engine::Engine;
use crate::model::progress::{MemoryStore, Progress, Store};
use crate::model::state::{plain_error, State};
use netsplit_core::run::registry::Registry;
use netsplit_core::run::tour::challenge::{Challenge, GoalWatch};
use netsplit_core::run::tour::eval::Verdict;
use netsplit_core::run::tour::markdown::{parse, Span};
use std::cell::RefCell;
use std::rc::Rc;

/// What the challenge panel and menu ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChallengeAction {
    /// Start challenge `id` (a registry id).
    Open(String),
    /// Replay the solution from the start.
    Solution,
    /// Start over from the challenge's start.
    Restart,
    /// Leave the challenge (the run stays).
    Close,
}

/// The solved challenges and where they are kept, shared by every session of the page.
pub struct Book {
    /// What is solved.
    pub progress: Progress,
    store: Box<dyn Store>,
}

impl Default for Book {
    fn default() -> Book {
        Book::new(Box::new(MemoryStore::default()))
    }
}

impl Book {
    /// The progress kept in `store`.
    pub fn new(store: Box<dyn Store>) -> Book {
        Book {
            progress: Progress::load(store.as_ref()),
            store,
        }
    }

    /// Record `id` as solved (saving; a failure only sets the warning).
    pub fn mark(&mut self, id: &str) -> bool {
        self.progress.mark(id, self.store.as_mut())
    }
}

/// Shared between the sessions of one page.
pub type BookRef = Rc<RefCell<Book>>;

/// A challenge being played.
#[derive(Clone, Debug)]
pub struct ChallengeRun {
    /// Registry id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The goal as typed spans.
    pub goal: Vec<Span>,
    /// The hint, if any.
    pub hint: String,
    /// The challenge.
    pub challenge: Challenge,
    watch: GoalWatch,
    /// The trace epoch the watch follows (a jump in time starts it over).
    epoch: u64,
    /// When the goal was reached in this run (ms), and whether by the solution's replay.
    pub done: Option<(u64, bool)>,
    /// This run replays the solution.
    pub solution: bool,
}

impl ChallengeRun {
    fn new(id: &str, title: &str, challenge: Challenge, solution: bool) -> ChallengeRun {
        ChallengeRun {
            id: id.to_string(),
            title: title.to_string(),
            goal: parse(&challenge.goal),
            hint: challenge.hint.clone(),
            watch: GoalWatch::new(&challenge),
            challenge,
            epoch: 0,
            done: None,
            solution,
        }
    }

    /// Each check's verdict at the last look.
    pub fn verdicts(&self) -> &[Verdict] {
        self.watch.verdicts()
    }

    /// The time limit (ms).
    pub fn limit(&self) -> u64 {
        self.challenge.until().0
    }
}

impl State {
    /// Carry out a challenge action.
    pub(crate) fn challenge_action(&mut self, action: ChallengeAction) {
        let registry = Registry::builtin();
        let (id, solution) = match action {
            ChallengeAction::Open(id) => (id, false),
            ChallengeAction::Restart | ChallengeAction::Solution => {
                let Some(run) = &self.challenge else { return };
                (run.id.clone(), action == ChallengeAction::Solution)
            }
            ChallengeAction::Close => {
                self.challenge = None;
                self.engine.set_stop_at(None);
                return;
            }
        };
        let loaded = registry.load_challenge(&id).and_then(|c| {
            let scenario = if solution {
                c.solved_scenario()
            } else {
                c.start.clone()
            };
            Engine::new(&scenario, solution).map(|e| (c, e))
        });
        match loaded {
            Ok((challenge, engine)) => {
                let title = registry
                    .challenges()
                    .find(|c| c.id == id)
                    .map_or("", |c| c.title);
                let mut fresh = State::with_engine(engine);
                fresh.book = self.book.clone();
                fresh.ui.scenario_name = Some(format!("Challenge: {title}"));
                fresh.engine.set_stop_at(Some(challenge.until().0));
                let run = ChallengeRun::new(&id, title, challenge, solution);
                fresh.challenge = Some(run);
                fresh.challenge_follow();
                let notice = if solution {
                    Notice::info("replaying the solution: watch the goal turn done ✓")
                } else {
                    Notice::info(format!(
                        "challenge “{title}”: press Space to run, act with the controls"
                    ))
                };
                if self.challenge.is_some() {
                    // Starting over or replaying: the same challenge, no session to keep, the
                    // same speed.
                    fresh.engine.set_speed(self.engine.speed());
                    self.replace(fresh, notice);
                } else {
                    self.switch_to(fresh, notice);
                }
            }
            Err(e) => {
                self.ui.notice = Some(Notice::error(format!(
                    "cannot open the challenge: {}",
                    plain_error("it", &e)
                )))
            }
        }
    }

    /// After the run moved: look at it for the goal (within the time limit); the first time it
    /// is reached by the user, record it as solved.
    pub(crate) fn challenge_follow(&mut self) {
        let epoch = self.trace_epoch;
        let Some(run) = &mut self.challenge else {
            return;
        };
        let p = self.engine.playground();
        if run.epoch != epoch {
            // A jump in time: the watch starts over from the state shown (what was reached
            // stays reached).
            run.watch = GoalWatch::new(&run.challenge);
            run.epoch = epoch;
        }
        if p.now().0 > run.limit() {
            return;
        }
        if run.watch.observe(p) && run.done.is_none() {
            let at = run.watch.reached().map_or(p.now().0, |t| t.0);
            run.done = Some((at, run.solution));
            if !run.solution {
                let id = run.id.clone();
                self.book.borrow_mut().mark(&id);
                self.ui.notice = Some(Notice::info("challenge done ✓"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::action::Action;
    use crate::model::engine::SPEED_STEPS;
    use crate::model::progress::Store;

    const BLOCK: &str = "2pc-block";

    struct Broken;
    impl Store for Broken {
        fn get(&self, _: &str) -> Result<Option<String>, String> {
            Err("storage is denied".into())
        }
        fn set(&mut self, _: &str, _: &str) -> Result<(), String> {
            Err("the browser's storage for this site is full".into())
        }
    }

    fn run_to(s: &mut State, until: u64) {
        s.handle(Action::SpeedStep(SPEED_STEPS), 0.0);
        s.engine.set_playing(true);
        let mut wall = 0.0;
        while s.engine.playing() && s.engine.playground().now().0 < until {
            wall += 50.0;
            s.frame(50.0, wall);
        }
    }

    fn open(store: Box<dyn Store>) -> State {
        let mut s = State::start("", "https://example.test/");
        s.book = Rc::new(RefCell::new(Book::new(store)));
        s.handle(Action::Challenge(ChallengeAction::Open(BLOCK.into())), 0.0);
        assert!(s.challenge.is_some());
        s
    }

    #[test]
    fn a_challenge_is_done_when_solved_by_hand_and_kept() {
        let mut s = open(Box::new(MemoryStore::default()));
        assert_eq!(s.engine.playground().now().0, 0, "starts paused at t=0");
        assert!(!s.engine.playing());
        // Not solved by waiting.
        run_to(&mut s, 600);
        assert!(s.challenge.as_ref().unwrap().done.is_none());
        assert!(!s.challenge.as_ref().unwrap().verdicts().is_empty());
        // Solved by hand: crash the coordinator just after the participants prepare.
        s.handle(Action::Challenge(ChallengeAction::Restart), 0.0);
        s.engine.seek_to(125);
        s.handle(Action::CrashOrRestart(0), 0.0);
        run_to(&mut s, 4000);
        let (at, by_solution) = s.challenge.as_ref().unwrap().done.expect("done");
        assert!(!by_solution && at >= 2000, "{at}");
        assert!(s.book.borrow().progress.solved(BLOCK));
        assert!(
            s.previous.len() == 1,
            "the session before the challenge is kept, not restarts"
        );
    }

    #[test]
    fn the_solution_replay_solves_it_without_counting() {
        let mut s = open(Box::new(MemoryStore::default()));
        s.handle(Action::Challenge(ChallengeAction::Solution), 0.0);
        assert!(s.engine.playing());
        run_to(&mut s, 4000);
        let (_, by_solution) = s
            .challenge
            .as_ref()
            .unwrap()
            .done
            .expect("the solution reaches it");
        assert!(by_solution);
        assert!(!s.book.borrow().progress.solved(BLOCK));
        s.handle(Action::Challenge(ChallengeAction::Close), 0.0);
        assert!(s.challenge.is_none());
    }

    #[test]
    fn a_broken_store_does_not_break_challenges() {
        let mut s = open(Box::new(Broken));
        assert!(s.book.borrow().progress.warning.is_some());
        s.handle(Action::Challenge(ChallengeAction::Solution), 0.0);
        s.handle(Action::Challenge(ChallengeAction::Restart), 0.0);
        s.engine.seek_to(125);
        s.handle(Action::CrashOrRestart(0), 0.0);
        run_to(&mut s, 4000);
        assert!(s.challenge.as_ref().unwrap().done.is_some());
        let book = s.book.borrow();
        assert!(book.progress.solved(BLOCK), "kept for this page");
        assert!(book.progress.warning.as_deref().unwrap().contains("full"));
    }

    #[test]
    fn chapters_open_as_tours_and_go_on() {
        let registry = Registry::builtin();
        let (_, chapter) = registry
            .chapters()
            .find(|(_, c)| c.scenarios.len() > 1)
            .expect("a chapter of several scenarios");
        let mut s = State::start("", "https://example.test/");
        s.handle(Action::OpenChapter(chapter.id.into()), 0.0);
        let pos = s.tour.as_ref().unwrap().chapter.clone().unwrap();
        assert_eq!((pos.index, pos.len), (0, chapter.scenarios.len()));
        s.handle(
            Action::Tour(crate::model::touring::TourAction::NextScenario),
            0.0,
        );
        let pos = s.tour.as_ref().unwrap().chapter.clone().unwrap();
        assert_eq!(pos.index, 1);
        assert!(s.ui.scenario_name.is_some());
    }
}
