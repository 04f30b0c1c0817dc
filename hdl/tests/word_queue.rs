//! `WordQueue` against a queue model: random pushes (within the credit limit) and pops, every
//! clock's head, `head_valid` (an entry is visible two clocks after its push) and `count`.

use hdl::lane::Lane;
use hdl::stream::XorShift64;
use hdl::testbench::Testbench;
use hdl::word_queue::WordQueue;
use std::collections::VecDeque;

#[test]
fn word_queue_equals_a_fifo() {
    let mut tb = Testbench::new(WordQueue::<3, 4>::default(), |q| &mut q.clock).unwrap();
    let mut rng = XorShift64::new(0x0a0e_0e0e);
    // Entries with the clock they were pushed at.
    let mut model: VecDeque<([u32; 3], u64)> = VecDeque::new();
    let (mut pushed, mut popped) = (0u32, 0u32);
    for t in 0..20_000u64 {
        // Before the edge: the head as the model says, then this clock's inputs.
        let visible: Vec<_> = model.iter().filter(|(_, at)| at + 2 <= t).collect();
        assert_eq!(
            tb.head_valid.val(),
            !visible.is_empty(),
            "clock {t}: head_valid"
        );
        assert_eq!(tb.count.val().0 as usize, model.len(), "clock {t}: count");
        if let Some((w, _)) = visible.first() {
            let head: Vec<u32> = tb.head_w.iter().map(|x| x.val().0).collect();
            assert_eq!(head, w.to_vec(), "clock {t}: head");
        }
        let burst = (t / 500) % 2 == 0;
        let push = model.len() < 16 && rng.chance(if burst { 80 } else { 30 });
        let pop = rng.chance(if burst { 30 } else { 80 });
        let w = [rng.next_u32(), pushed, rng.next_u32()];
        tb.push.next = push;
        for (port, x) in tb.push_w.iter_mut().zip(w) {
            port.next = Lane(x);
        }
        tb.pop.next = pop;
        if pop && !visible.is_empty() {
            model.pop_front();
            popped += 1;
        }
        if push {
            model.push_back((w, t));
            pushed += 1;
        }
        tb.step();
    }
    assert!(
        popped > 5_000 && pushed - popped <= 16,
        "{pushed} pushed, {popped} popped"
    );
}
