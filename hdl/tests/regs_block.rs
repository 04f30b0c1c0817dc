//! The register block under proto's own host-side functions: `RegisterAccess` is implemented on
//! the simulated block (each access drives the register port and steps the clock until the data
//! is back), so `walk`, `Identity::read`, `apply_config` / `decode_config` and
//! `snapshot_counters` / `read_counters` run against the hardware. Config registers are also
//! compared access by access with `proto::regs::ConfigRegs`, counters with a Rust model of the
//! random increments driven, and the generated Verilog with the rust-hdl simulation under
//! Verilator cycle by cycle.

mod common;

use common::verilated::{build, in_port_order, Model};
use hdl::regs_block::{default_identity, RegsBlock, LISTENERS, NUM_COUNTERS, READ_LATENCY};
use hdl::stream::XorShift64;
use hdl::testbench::Testbench;
use proto::config::{CookieMode, Listener, NicConfig};
use proto::counters::Counter;
use proto::regs::{
    self, apply_config, cfg, cnt, decode_config, device_time, find, header_word, read_counters,
    snapshot_counters, walk, BlockKind, ConfigRegs, Identity, RegisterAccess, Window, LAYOUT,
};
use proto::time::Duration;

type Row = Vec<(String, u64)>;

/// The simulated block as a BAR0, with random counter pulses every clock and a model of the
/// counts they make.
struct Dev {
    tb: Testbench<RegsBlock>,
    rng: XorShift64,
    /// Percent chance that each counter pulses in a clock.
    pulse: u32,
    live: [u64; NUM_COUNTERS],
    snap: [u64; NUM_COUNTERS],
    snaps: u32,
    record: bool,
    rows: Vec<Row>,
    outs: Vec<Row>,
}

impl Dev {
    fn new(seed: u64, pulse: u32) -> Dev {
        Dev {
            tb: Testbench::new(RegsBlock::default(), |b| &mut b.clock).unwrap(),
            rng: XorShift64::new(seed),
            pulse,
            live: [0; NUM_COUNTERS],
            snap: [0; NUM_COUNTERS],
            snaps: 0,
            record: false,
            rows: Vec::new(),
            outs: Vec::new(),
        }
    }

    /// One clock with the register-port inputs as set, random increments and a moving time.
    fn clock(&mut self) {
        let t = self.tb.cycles() * 4 + 0xFFFF_FF00;
        self.tb.time_lo.next = (t as u32).into();
        self.tb.time_hi.next = ((t >> 32) as u32).into();
        let mut incs = [false; NUM_COUNTERS];
        for (i, x) in incs.iter_mut().enumerate() {
            *x = self.pulse > 0 && self.rng.chance(self.pulse);
            self.tb.inc[i].next = *x;
        }
        self.tb.settle();
        // The model, at the edge: a CTRL write snapshots the counts before this clock's pulses.
        let wr = self.tb.wr_valid.val() && self.tb.wr_addr.val().to_u64() == 0x810;
        let v = self.tb.wr_data.val().0;
        if wr && v & cnt::SNAPSHOT != 0 {
            self.snap = self.live;
            self.snaps += 1;
        }
        if wr && v & cnt::CLEAR != 0 {
            self.live = [0; NUM_COUNTERS];
        }
        for (l, x) in self.live.iter_mut().zip(incs) {
            *l = l.wrapping_add(x as u64);
        }
        if self.record {
            self.rows.push(inputs(&self.tb));
        }
        self.tb.step();
        if self.record {
            self.outs.push(outputs(&self.tb));
        }
    }

    /// Preload live counter `i` (simulation only: the test reaches 2^32 without 2^32 clocks).
    fn preload(&mut self, i: usize, v: u64) {
        self.tb.live_lo[i].q.next = (v as u32).into();
        self.tb.live_hi[i].q.next = ((v >> 32) as u32).into();
        self.tb.settle();
        self.live[i] = v;
    }
}

impl RegisterAccess for Dev {
    fn read32(&mut self, offset: u32) -> u32 {
        assert!(offset < regs::BAR0_LEN);
        self.tb.rd_valid.next = true;
        self.tb.rd_addr.next = (offset as u64).into();
        self.clock();
        self.tb.rd_valid.next = false;
        for _ in 1..READ_LATENCY {
            assert!(!self.tb.rd_ack.val());
            self.clock();
        }
        assert!(
            self.tb.rd_ack.val(),
            "no data {READ_LATENCY} clocks after the read"
        );
        self.tb.rd_data.val().0
    }

    fn write32(&mut self, offset: u32, value: u32) {
        assert!(offset < regs::BAR0_LEN);
        self.tb.wr_valid.next = true;
        self.tb.wr_addr.next = (offset as u64).into();
        self.tb.wr_data.next = value.into();
        self.clock();
        self.tb.wr_valid.next = false;
    }
}

fn inputs(b: &RegsBlock) -> Row {
    let mut r: Row = vec![
        ("rd_valid".into(), b.rd_valid.val() as u64),
        ("rd_addr".into(), b.rd_addr.val().to_u64()),
        ("wr_valid".into(), b.wr_valid.val() as u64),
        ("wr_addr".into(), b.wr_addr.val().to_u64()),
        ("wr_data".into(), b.wr_data.val().0 as u64),
        ("time_lo".into(), b.time_lo.val().0 as u64),
        ("time_hi".into(), b.time_hi.val().0 as u64),
    ];
    for i in 0..NUM_COUNTERS {
        r.push((format!("inc${i}"), b.inc[i].val() as u64));
    }
    r
}

fn outputs(b: &RegsBlock) -> Row {
    let lane = |n: &str, v: hdl::lane::Lane| (n.to_string(), v.0 as u64);
    let mut r: Row = vec![
        ("rd_ack".into(), b.rd_ack.val() as u64),
        lane("rd_data", b.rd_data.val()),
        lane("cfg_generation", b.cfg_generation.val()),
        ("proxy_mss".into(), b.proxy_mss.val().to_u64()),
        ("proxy_wscale".into(), b.proxy_wscale.val().to_u64()),
        ("proxy_sack".into(), b.proxy_sack.val() as u64),
        ("proxy_ts".into(), b.proxy_ts.val() as u64),
        lane("flood_syn_rate", b.flood_syn_rate.val()),
        lane("flood_pending", b.flood_pending.val()),
        lane("time_wait_ms", b.time_wait_ms.val()),
        lane("fin_timeout_ms", b.fin_timeout_ms.val()),
        lane("syn_recv_timeout_ms", b.syn_recv_timeout_ms.val()),
        lane("proxy_syn_rto_ms", b.proxy_syn_rto_ms.val()),
        lane("established_idle_s", b.established_idle_s.val()),
        lane("close_wait_alarm_s", b.close_wait_alarm_s.val()),
        ("ka_enable".into(), b.ka_enable.val() as u64),
        lane("ka_idle_s", b.ka_idle_s.val()),
        lane("ka_interval_s", b.ka_interval_s.val()),
        ("ka_probes".into(), b.ka_probes.val().to_u64()),
        ("rfc1337".into(), b.rfc1337.val() as u64),
        ("loose".into(), b.loose.val() as u64),
        ("verify_csum".into(), b.verify_csum.val() as u64),
    ];
    for i in 0..8 {
        r.push(lane(&format!("cookie_key${i}"), b.cookie_key[i].val()));
    }
    for i in 0..LISTENERS {
        r.push((format!("l_valid${i}"), b.l_valid[i].val() as u64));
        r.push(lane(&format!("l_addr${i}"), b.l_addr[i].val()));
        r.push((format!("l_port${i}"), b.l_port[i].val().to_u64()));
        r.push((format!("l_mode${i}"), b.l_mode[i].val().to_u64()));
    }
    r
}

fn base(kind: BlockKind) -> u32 {
    regs::layout_of(kind).offset
}

/// A valid configuration with random fields and `n` random listeners.
fn random_config(rng: &mut XorShift64, n: usize) -> NicConfig {
    let mut c = NicConfig::default();
    for k in c.cookie_key.iter_mut().flatten() {
        *k = rng.next_u64();
    }
    c.proxy.mss = 1 + rng.below(65535) as u16;
    c.proxy.wscale = rng.below(15) as u8;
    c.proxy.sack_perm = rng.chance(50);
    c.proxy.timestamps = rng.chance(50);
    c.flood_syn_rate = rng.next_u32();
    c.flood_pending = rng.next_u32();
    c.time_wait = Duration::from_millis(1 + rng.below(32_767_000));
    c.fin_timeout = Duration::from_millis(1 + rng.below(1_000_000));
    c.syn_recv_timeout = Duration::from_millis(1 + rng.below(1_000_000));
    c.proxy_syn_rto = Duration::from_millis(1 + rng.below(100_000));
    c.established_idle = Duration::from_secs(1 + rng.below(32_767));
    c.close_wait_alarm = Duration::from_secs(1 + rng.below(1 << 31));
    c.keepalive.enabled = rng.chance(50);
    c.keepalive.idle = Duration::from_secs(1 + rng.below(100_000));
    c.keepalive.interval = Duration::from_secs(1 + rng.below(1000));
    c.keepalive.probes = rng.below(256) as u8;
    c.rfc1337 = rng.chance(50);
    c.loose = rng.chance(50);
    c.verify_checksums = rng.chance(50);
    for _ in 0..n {
        let mode =
            [CookieMode::Off, CookieMode::OnFlood, CookieMode::Always][rng.below(3) as usize];
        let _ = c.listeners.push(Listener {
            addr: rng.next_u32().to_be_bytes(),
            port: rng.next_u32() as u16,
            mode,
        });
    }
    c
}

/// The live outputs equal the configuration `c`.
fn check_live(b: &RegsBlock, c: &NicConfig, generation: u32) {
    assert_eq!(b.cfg_generation.val().0, generation);
    for (i, w) in c.cookie_key.iter().flatten().enumerate() {
        assert_eq!(b.cookie_key[2 * i].val().0, *w as u32);
        assert_eq!(b.cookie_key[2 * i + 1].val().0, (*w >> 32) as u32);
    }
    assert_eq!(b.proxy_mss.val().to_u64(), c.proxy.mss as u64);
    assert_eq!(b.proxy_wscale.val().to_u64(), c.proxy.wscale as u64);
    assert_eq!(b.proxy_sack.val(), c.proxy.sack_perm);
    assert_eq!(b.proxy_ts.val(), c.proxy.timestamps);
    assert_eq!(b.flood_syn_rate.val().0, c.flood_syn_rate);
    assert_eq!(b.flood_pending.val().0, c.flood_pending);
    let ms = |d: Duration| (d.nanos() / 1_000_000) as u32;
    let s = |d: Duration| (d.nanos() / 1_000_000_000) as u32;
    assert_eq!(b.time_wait_ms.val().0, ms(c.time_wait));
    assert_eq!(b.fin_timeout_ms.val().0, ms(c.fin_timeout));
    assert_eq!(b.syn_recv_timeout_ms.val().0, ms(c.syn_recv_timeout));
    assert_eq!(b.proxy_syn_rto_ms.val().0, ms(c.proxy_syn_rto));
    assert_eq!(b.established_idle_s.val().0, s(c.established_idle));
    assert_eq!(b.close_wait_alarm_s.val().0, s(c.close_wait_alarm));
    assert_eq!(b.ka_enable.val(), c.keepalive.enabled);
    assert_eq!(b.ka_idle_s.val().0, s(c.keepalive.idle));
    assert_eq!(b.ka_interval_s.val().0, s(c.keepalive.interval));
    assert_eq!(b.ka_probes.val().to_u64(), c.keepalive.probes as u64);
    assert_eq!(b.rfc1337.val(), c.rfc1337);
    assert_eq!(b.loose.val(), c.loose);
    assert_eq!(b.verify_csum.val(), c.verify_checksums);
    for i in 0..LISTENERS {
        match c.listeners.get(i) {
            Some(l) => {
                assert!(b.l_valid[i].val(), "listener {i}");
                assert_eq!(b.l_addr[i].val().0, u32::from_be_bytes(l.addr));
                assert_eq!(b.l_port[i].val().to_u64(), l.port as u64);
                assert_eq!(b.l_mode[i].val().to_u64(), l.mode as u64);
            }
            None => assert!(!b.l_valid[i].val(), "listener {i}"),
        }
    }
}

#[test]
fn walk_finds_every_block_and_identity_reads() {
    let mut d = Dev::new(1, 0);
    let blocks = walk(&mut d).unwrap();
    assert_eq!(blocks.len(), LAYOUT.len());
    for (f, b) in blocks.iter().zip(LAYOUT.iter()) {
        assert_eq!(
            (f.kind, f.version, f.offset, f.size),
            (b.kind, b.version, b.offset, b.size)
        );
    }
    // Every header word, by absolute offset.
    for b in LAYOUT {
        for off in (b.offset..b.offset + 16).step_by(4) {
            assert_eq!(d.read32(off), header_word(off).unwrap(), "{off:#x}");
        }
    }
    let idb = find(&blocks, BlockKind::Identity).unwrap();
    let id = Identity::read(&mut idb.window(&mut d)).unwrap();
    assert_eq!(id, default_identity());
    assert_eq!(id.counters as usize, Counter::COUNT);
    assert!(id.geometry().is_some());
    // Device time: TIME_LO latches TIME_HI (the time input crosses 2^32 during the test).
    for _ in 0..200 {
        let t = device_time(&mut idb.window(&mut d)).unwrap().nanos();
        let now = d.tb.cycles() * 4 + 0xFFFF_FF00;
        assert!(t < now && now - t <= 16, "time {t:#x} at {now:#x}");
    }
    // Writes to the Identity block change nothing.
    for (o, _) in id.registers() {
        d.write32(o, 0xDEAD_BEEF);
    }
    assert_eq!(Identity::read(&mut idb.window(&mut d)).unwrap(), id);
}

#[test]
fn reserved_and_unimplemented_registers_read_zero() {
    let mut d = Dev::new(2, 0);
    let mut cfgm = ConfigRegs::new();
    for off in (0..regs::BAR0_LEN).step_by(4) {
        let (_, b, rel) = regs::locate(off).unwrap();
        // Writes first (ignored everywhere but Config and the counters' CTRL).
        if !matches!(b.kind, BlockKind::Config | BlockKind::Counters) {
            d.write32(off, 0x5A5A_5A5A);
        }
        if b.kind == BlockKind::Identity
            && (rel == regs::ident::TIME_LO || rel == regs::ident::TIME_HI)
        {
            continue;
        }
        let want = if let Some(h) = header_word(off) {
            h
        } else {
            match b.kind {
                BlockKind::Identity => default_identity()
                    .registers()
                    .iter()
                    .find(|(o, _)| *o == rel)
                    .map(|(_, v)| *v)
                    .unwrap_or(0),
                BlockKind::Config => cfgm.read32(rel),
                BlockKind::Counters if rel == cnt::NUM => NUM_COUNTERS as u32,
                _ => 0,
            }
        };
        assert_eq!(d.read32(off), want, "{} + {rel:#x}", b.kind);
    }
    // Unaligned offsets read 0 and ignore writes.
    assert_eq!(d.read32(base(BlockKind::Config) + cfg::PROXY_MSS + 2), 0);
    d.write32(base(BlockKind::Config) + cfg::PROXY_MSS + 1, 7);
    assert_eq!(
        d.read32(base(BlockKind::Config) + cfg::PROXY_MSS),
        cfgm.read32(cfg::PROXY_MSS)
    );
}

#[test]
fn config_round_trips_and_goes_live_at_apply() {
    let mut d = Dev::new(3, 0);
    let cb = base(BlockKind::Config);
    // Power-up: NicConfig::default(), live too, generation 0.
    let c0 = decode_config(&mut Window::new(&mut d, cb)).unwrap();
    assert_eq!(c0, NicConfig::default());
    check_live(&d.tb, &c0, 0);
    let mut rng = XorShift64::new(33);
    let mut live = c0;
    let mut generation = 0;
    for _ in 0..12 {
        let n = rng.below(LISTENERS as u64 + 1) as usize;
        let c = random_config(&mut rng, n);
        let writes = regs::encode_config(&c).unwrap();
        // Everything but APPLY: shadow registers only, nothing live changes.
        for (o, v) in &writes[..writes.len() - 1] {
            d.write32(cb + o, *v);
        }
        check_live(&d.tb, &live, generation);
        d.write32(cb + cfg::APPLY, 1);
        generation += 1;
        check_live(&d.tb, &c, generation);
        assert_eq!(decode_config(&mut Window::new(&mut d, cb)).unwrap(), c);
        // apply_config gives the same (one more generation); APPLY without bit 0 does nothing.
        apply_config(&mut Window::new(&mut d, cb), &c).unwrap();
        d.write32(cb + cfg::APPLY, 2);
        generation += 1;
        check_live(&d.tb, &c, generation);
        assert_eq!(d.read32(cb + cfg::APPLY), generation);
        live = c;
    }
}

#[test]
fn config_registers_equal_proto_config_regs() {
    // Random accesses to the Config block, compared with the model access by access.
    let mut d = Dev::new(4, 0);
    let cb = base(BlockKind::Config);
    let mut m = ConfigRegs::new();
    let mut rng = XorShift64::new(44);
    let listed: Vec<u32> = cfg::FIELDS
        .iter()
        .flat_map(|f| (0..f.count).map(move |i| f.offset + i * f.stride))
        .collect();
    for _ in 0..6000 {
        let off = listed[rng.below(listed.len() as u64) as usize];
        if rng.chance(50) {
            let v = match rng.below(4) {
                0 => rng.below(2) as u32,
                1 => rng.below(LISTENERS as u64 + 2) as u32,
                2 => rng.next_u32() | cfg::LST_VALID,
                _ => rng.next_u32(),
            };
            d.write32(cb + off, v);
            m.write32(off, v);
        } else {
            assert_eq!(d.read32(cb + off), m.read32(off), "Config + {off:#x}");
        }
    }
    for off in listed {
        assert_eq!(d.read32(cb + off), m.read32(off), "Config + {off:#x}");
    }
    println!(
        "config: {} cycles, generation {}",
        d.tb.cycles(),
        m.generation()
    );
}

/// Snapshots (some with clear) at random intervals under random pulses; every read equals the
/// model.
fn counters_run(d: &mut Dev, rng: &mut XorShift64, rounds: usize, max_gap: u64) {
    let kb = base(BlockKind::Counters);
    for _ in 0..rounds {
        for _ in 0..rng.below(max_gap) {
            d.clock();
        }
        let clear = rng.chance(30);
        snapshot_counters(&mut Window::new(d, kb), clear);
        let want = d.snap;
        let mut out = [0u64; Counter::COUNT];
        let gen = read_counters(&mut Window::new(d, kb), &mut out).unwrap();
        assert_eq!(gen, d.snaps);
        assert_eq!(out[..], want[..]);
    }
}

#[test]
fn counters_equal_a_model_of_the_pulses_with_carries_and_clear() {
    let mut d = Dev::new(5, 30);
    let mut rng = XorShift64::new(55);
    // Carries: some counters start just below 2^32, one just below 2^64 (wraps to 0).
    for i in [0, 7, 21, 43] {
        d.preload(i, 0xFFFF_FF80 + i as u64);
    }
    d.preload(13, 0x1_FFFF_FFF0);
    d.preload(30, u64::MAX - 50);
    counters_run(&mut d, &mut rng, 60, 600);
    println!(
        "counters: {} cycles, {} snapshots, {:.0} deltas/cycle",
        d.tb.cycles(),
        d.snaps,
        d.tb.deltas() as f64 / d.tb.cycles() as f64
    );
    assert!(d.tb.cycles() > 15_000);
    // A clear with nothing pulsing: the next snapshot is all zero.
    d.pulse = 0;
    let kb = base(BlockKind::Counters);
    snapshot_counters(&mut Window::new(&mut d, kb), true);
    snapshot_counters(&mut Window::new(&mut d, kb), false);
    let mut out = [1u64; Counter::COUNT];
    read_counters(&mut Window::new(&mut d, kb), &mut out).unwrap();
    assert_eq!(out, [0; Counter::COUNT]);
    // Reading a lo word latches its hi word: a snapshot between lo and hi does not tear.
    d.preload(3, 0xFFFF_FFFF);
    snapshot_counters(&mut Window::new(&mut d, kb), false);
    let lo = d.read32(kb + cnt::lo(3));
    d.preload(3, 0x1_0000_0005);
    snapshot_counters(&mut Window::new(&mut d, kb), false);
    let hi = d.read32(kb + cnt::hi(3));
    assert_eq!((lo, hi), (0xFFFF_FFFF, 0));
    assert_eq!(
        regs::read64(&mut Window::new(&mut d, kb), cnt::lo(3)),
        0x1_0000_0005
    );
}

#[test]
fn regs_block_matches_verilator_cycle_for_cycle() {
    let model = build("regs_block");
    let mut d = Dev::new(6, 20);
    d.record = true;
    let cb = base(BlockKind::Config);
    let mut rng = XorShift64::new(66);
    let blocks = walk(&mut d).unwrap();
    assert_eq!(blocks.len(), LAYOUT.len());
    for _ in 0..2 {
        let c = random_config(&mut rng, 5);
        apply_config(&mut Window::new(&mut d, cb), &c).unwrap();
        assert_eq!(decode_config(&mut Window::new(&mut d, cb)).unwrap(), c);
    }
    counters_run(&mut d, &mut rng, 8, 200);
    for _ in 0..300 {
        let off = (rng.below(regs::BAR0_LEN as u64) as u32) & !1;
        if rng.chance(30) && (0x200..0x300).contains(&off) {
            d.write32(off, rng.next_u32());
        } else {
            d.read32(off);
        }
    }
    let rows: Vec<Vec<u64>> = d
        .rows
        .iter()
        .map(|x| in_port_order(&model.inputs, x))
        .collect();
    let sim: Vec<Vec<u64>> = d
        .outs
        .iter()
        .map(|x| in_port_order(&model.outputs, x))
        .collect();
    assert_eq!(Model::names(&model.outputs).len(), d.outs[0].len());
    let ver = model.run(&rows);
    model.compare("regs_block", &sim, &ver);
    println!("regs_block differential: {} cycles equal", rows.len());
}
