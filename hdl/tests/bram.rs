//! The block RAM against a plain Rust model: write/read patterns, the registered read, the read
//! enable, read-during-write (old word by default; a panic in the undefined-collision mode), and
//! the simulation speed that motivated it (a `Vec`, not rust-hdl's `BTreeMap`).

use hdl::bram::Bram;
use hdl::lane::Lane;
use hdl::stream::XorShift64;
use hdl::testbench::Testbench;
use rust_hdl::prelude::*;
use std::time::Instant;

type Ram = Bram<Lane, 9>;

/// One cycle's port values.
#[derive(Clone, Copy, Debug, Default)]
struct Op {
    we: bool,
    wa: u64,
    wd: u32,
    re: bool,
    ra: u64,
}

fn drive(tb: &mut Testbench<Ram>, op: Op) {
    tb.write_enable.next = op.we;
    tb.write_address.next = op.wa.to_bits();
    tb.write_data.next = Lane(op.wd);
    tb.read_enable.next = op.re;
    tb.read_address.next = op.ra.to_bits();
}

fn new_tb(ram: Ram) -> Testbench<Ram> {
    Testbench::new(ram, |r| &mut r.clock).unwrap()
}

/// The reference: read-first, registered, enable holds the output.
struct Model {
    mem: Vec<u32>,
    out: u32,
}

impl Model {
    fn step(&mut self, op: Op) {
        if op.re {
            self.out = self.mem[op.ra as usize];
        }
        if op.we {
            self.mem[op.wa as usize] = op.wd;
        }
    }
}

#[test]
fn powers_up_zero_and_reads_one_cycle_later() {
    let mut tb = new_tb(Ram::default());
    // Every word reads 0 before any write.
    for a in 0..512 {
        drive(
            &mut tb,
            Op {
                re: true,
                ra: a,
                ..Op::default()
            },
        );
        tb.step();
        assert_eq!(tb.read_data.val(), Lane(0), "address {a}");
    }
    // Fill with a pattern, then read it back in reverse; data appears after the edge.
    for a in 0..512u64 {
        drive(
            &mut tb,
            Op {
                we: true,
                wa: a,
                wd: (a as u32).wrapping_mul(0x9E37_79B9),
                ..Op::default()
            },
        );
        tb.step();
    }
    for a in (0..512u64).rev() {
        drive(
            &mut tb,
            Op {
                re: true,
                ra: a,
                ..Op::default()
            },
        );
        tb.settle();
        // Not yet: the read is registered.
        if a != 511 {
            assert_eq!(
                tb.read_data.val(),
                Lane(((a + 1) as u32).wrapping_mul(0x9E37_79B9))
            );
        }
        tb.step();
        assert_eq!(
            tb.read_data.val(),
            Lane((a as u32).wrapping_mul(0x9E37_79B9)),
            "address {a}"
        );
        assert_eq!(
            tb.peek(a as usize),
            Lane((a as u32).wrapping_mul(0x9E37_79B9))
        );
    }
}

#[test]
fn read_during_write_returns_the_old_word_then_the_new() {
    let mut tb = new_tb(Ram::default());
    drive(
        &mut tb,
        Op {
            we: true,
            wa: 7,
            wd: 0x1111,
            ..Op::default()
        },
    );
    tb.step();
    // Same edge: read and write address 7.
    drive(
        &mut tb,
        Op {
            we: true,
            wa: 7,
            wd: 0x2222,
            re: true,
            ra: 7,
        },
    );
    tb.step();
    assert_eq!(tb.read_data.val(), Lane(0x1111), "read-first: the old word");
    // Next edge: the new word.
    drive(
        &mut tb,
        Op {
            re: true,
            ra: 7,
            ..Op::default()
        },
    );
    tb.step();
    assert_eq!(tb.read_data.val(), Lane(0x2222));
    // A write to another address on the same edge does not disturb the read.
    drive(
        &mut tb,
        Op {
            we: true,
            wa: 8,
            wd: 0x3333,
            re: true,
            ra: 7,
        },
    );
    tb.step();
    assert_eq!(tb.read_data.val(), Lane(0x2222));
}

#[test]
fn read_enable_low_holds_the_output() {
    let mut tb = new_tb(Ram::default());
    drive(
        &mut tb,
        Op {
            we: true,
            wa: 1,
            wd: 0xAAAA,
            ..Op::default()
        },
    );
    tb.step();
    drive(
        &mut tb,
        Op {
            re: true,
            ra: 1,
            ..Op::default()
        },
    );
    tb.step();
    assert_eq!(tb.read_data.val(), Lane(0xAAAA));
    // Enable low: the address changes and the word is rewritten, the output holds.
    drive(
        &mut tb,
        Op {
            we: true,
            wa: 1,
            wd: 0xBBBB,
            re: false,
            ra: 2,
        },
    );
    tb.run(3);
    assert_eq!(tb.read_data.val(), Lane(0xAAAA));
    drive(
        &mut tb,
        Op {
            re: true,
            ra: 1,
            ..Op::default()
        },
    );
    tb.step();
    assert_eq!(tb.read_data.val(), Lane(0xBBBB));
}

#[test]
fn random_traffic_matches_the_model() {
    let mut rng = XorShift64::new(0xB4A3);
    let mut tb = new_tb(Ram::default());
    let mut model = Model {
        mem: vec![0; 512],
        out: 0,
    };
    let n = 200_000u64;
    let mut collisions = 0;
    let t0 = Instant::now();
    for t in 0..n {
        let addr = |rng: &mut XorShift64| {
            if rng.chance(75) {
                rng.below(8)
            } else {
                rng.below(512)
            }
        };
        let op = Op {
            we: rng.chance(50),
            wa: addr(&mut rng),
            wd: rng.next_u32(),
            re: rng.chance(85),
            ra: addr(&mut rng),
        };
        collisions += u64::from(op.we && op.re && op.wa == op.ra);
        drive(&mut tb, op);
        tb.step();
        model.step(op);
        assert_eq!(tb.read_data.val(), Lane(model.out), "cycle {t}: {op:?}");
    }
    let secs = t0.elapsed().as_secs_f64();
    assert!(collisions > 1000);
    for a in 0..512 {
        assert_eq!(tb.peek(a), Lane(model.mem[a]), "final contents at {a}");
    }
    println!(
        "bram 512x32: {n} cycles in {secs:.3} s = {:.0} cycles/s ({collisions} read-during-write)",
        n as f64 / secs
    );
}

#[test]
fn undefined_collision_mode_behaves_alike_without_collisions() {
    let mut rng = XorShift64::new(0x40C0);
    let mut tb = new_tb(Ram::collisions_undefined());
    let mut model = Model {
        mem: vec![0; 512],
        out: 0,
    };
    for t in 0..50_000 {
        let mut op = Op {
            we: rng.chance(50),
            wa: rng.below(16),
            wd: rng.next_u32(),
            re: rng.chance(85),
            ra: rng.below(16),
        };
        if op.we && op.re && op.wa == op.ra {
            op.ra ^= 1;
        }
        drive(&mut tb, op);
        tb.step();
        model.step(op);
        assert_eq!(tb.read_data.val(), Lane(model.out), "cycle {t}");
    }
}

#[test]
#[should_panic(expected = "read and write of address 0x5 on one edge")]
fn undefined_collision_mode_panics_on_a_collision() {
    let mut tb = new_tb(Ram::collisions_undefined());
    // Same address but only one port enabled: fine.
    drive(
        &mut tb,
        Op {
            we: true,
            wa: 5,
            wd: 1,
            re: false,
            ra: 5,
        },
    );
    tb.step();
    drive(
        &mut tb,
        Op {
            we: false,
            wa: 5,
            wd: 1,
            re: true,
            ra: 5,
        },
    );
    tb.step();
    assert_eq!(tb.read_data.val(), Lane(1));
    drive(
        &mut tb,
        Op {
            we: true,
            wa: 5,
            wd: 2,
            re: true,
            ra: 5,
        },
    );
    tb.step();
}

#[test]
fn other_widths_and_depths() {
    // 4096 x 16 with Bits<16> words: the same semantics at another shape.
    let mut tb = Testbench::new(Bram::<Bits<16>, 12>::default(), |r| &mut r.clock).unwrap();
    assert_eq!(Bram::<Bits<16>, 12>::DEPTH, 4096);
    for a in [0u64, 1, 2047, 4095] {
        tb.write_enable.next = true;
        tb.write_address.next = a.to_bits();
        tb.write_data.next = (a ^ 0xBEEF).to_bits();
        tb.step();
    }
    tb.write_enable.next = false;
    tb.read_enable.next = true;
    for a in [4095u64, 2047, 1, 0, 17] {
        tb.read_address.next = a.to_bits();
        tb.step();
        let want = if a == 17 { 0 } else { (a ^ 0xBEEF) & 0xFFFF };
        assert_eq!(tb.read_data.val().to_u64(), want, "address {a}");
    }
}
