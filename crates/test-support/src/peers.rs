//! A real Elasticsearch (or OpenSearch) cluster on loopback, for interop tests and benchmarks.
//!
//! The server comes from Maven Central: Elasticsearch's integration-test distribution
//! (`org.elasticsearch.distribution.integ-test-zip:elasticsearch`, the server with the
//! transport, security and APM modules and nothing else), or, when that artifact cannot be
//! fetched, OpenSearch's (`org.opensearch.distribution.integ-test-zip:opensearch`). `mvn
//! dependency:get` fetches it into the local Maven repository; it is unpacked once under
//! `target/peers/`.
//!
//! [`Cluster::start`] starts N nodes bound to 127.0.0.1 on free HTTP and transport ports, each
//! with its own configuration, data, log and temporary directories under the cluster's
//! directory, and returns once the cluster is green with every node joined. Node 0 is the only
//! master-eligible node (so that killing any other node never costs the cluster its master);
//! the others hold data. Elasticsearch refuses to run as root: when this process is root, the
//! nodes run as `nobody`, owning their own directories.
//!
//! The cluster is described by a JSON state file (`cluster.json` in its directory): URLs, pid
//! files and each node's exact launch command. `cargo xtask test` starts one cluster for the
//! whole test run and hands the state file to the tests in `SLUICE_ES_CLUSTER`
//! ([`Cluster::from_env`]); a test can kill a node and start it again from the same file.
//! Stopping goes by pid file (SIGTERM, then SIGKILL after a grace period), so it also stops nodes
//! that another process restarted.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use serde_json::{Value, json};

use crate::workspace_root;

/// The environment variable holding the state file of the cluster the tests use.
pub const ENV: &str = "SLUICE_ES_CLUSTER";

/// Which server to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Elasticsearch 8's integration-test distribution.
    Elasticsearch,
    /// OpenSearch 2's integration-test distribution.
    OpenSearch,
}

impl Flavor {
    /// The Maven coordinates of the distribution (`group:artifact:version:zip`).
    #[must_use]
    pub fn artifact(self) -> &'static str {
        match self {
            Self::Elasticsearch => {
                "org.elasticsearch.distribution.integ-test-zip:elasticsearch:8.19.7:zip"
            }
            Self::OpenSearch => "org.opensearch.distribution.integ-test-zip:opensearch:2.19.6:zip",
        }
    }

    /// The product name and version, e.g. `elasticsearch-8.19.7` (also the unpacked folder).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Elasticsearch => "elasticsearch-8.19.7",
            Self::OpenSearch => "opensearch-2.19.6",
        }
    }

    fn program(self) -> &'static str {
        match self {
            Self::Elasticsearch => "elasticsearch",
            Self::OpenSearch => "opensearch",
        }
    }

    /// The prefix of the launcher's environment variables (`ES_JAVA_OPTS`, `OPENSEARCH_JAVA_OPTS`).
    fn env_prefix(self) -> &'static str {
        match self {
            Self::Elasticsearch => "ES",
            Self::OpenSearch => "OPENSEARCH",
        }
    }

    fn parse(s: &str) -> anyhow::Result<Self> {
        match s {
            "elasticsearch" => Ok(Self::Elasticsearch),
            "opensearch" => Ok(Self::OpenSearch),
            other => bail!("unknown peer flavor [{other}] in the cluster state file"),
        }
    }
}

/// Options of [`Cluster::start`].
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// Number of nodes. Default 2.
    pub nodes: usize,
    /// Heap of each node in MiB (`-Xms` = `-Xmx`). Default 512.
    pub heap_mb: u32,
    /// The cluster's directory (node directories and the state file). Default
    /// `target/peers/cluster`.
    pub dir: PathBuf,
    /// Which distribution; `None` (the default) tries Elasticsearch, then OpenSearch.
    pub flavor: Option<Flavor>,
    /// How long to wait for the cluster to turn green. Default 240 s.
    pub start_timeout: Duration,
    /// Start the nodes in a process group of their own (they outlive the caller's; see
    /// [`Node::spawn`]). Default false: Ctrl-C in the caller's terminal stops them too.
    pub detached: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            nodes: 2,
            heap_mb: 512,
            dir: workspace_root().join("target/peers/cluster"),
            flavor: None,
            start_timeout: Duration::from_secs(240),
            detached: false,
        }
    }
}

/// One node of a running cluster.
#[derive(Debug, Clone)]
pub struct Node {
    /// `node-0`, `node-1`, ...
    pub name: String,
    /// The HTTP address.
    pub http: SocketAddr,
    /// The transport address.
    pub transport: SocketAddr,
    /// The node's directory (config, data, logs, tmp, pid file, console log).
    pub dir: PathBuf,
    /// The launch command: program and arguments.
    argv: Vec<String>,
    /// The launch environment (added to the inherited one).
    env: Vec<(String, String)>,
    /// The user and group the node runs as (when started by root).
    run_as: Option<(u32, u32)>,
}

impl Node {
    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.http)
    }

    fn pid_file(&self) -> PathBuf {
        self.dir.join("pid")
    }

    /// The server's process id, from its pid file, while the process lives.
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        let pid: u32 = std::fs::read_to_string(self.pid_file())
            .ok()?
            .trim()
            .parse()
            .ok()?;
        Path::new(&format!("/proc/{pid}")).exists().then_some(pid)
    }

    /// Starts the node's process (the launcher, which starts the server JVM) with its console
    /// output appended to `console.log`. `detached` puts it in a process group of its own, so
    /// that it outlives the process group that started it (a test that restarts a node must
    /// not take it down when its own processes are cleaned up); the next [`Cluster::stop`] or
    /// [`Cluster::start`] in the same directory stops it by its pid file.
    ///
    /// # Errors
    /// When the process cannot be spawned.
    pub fn spawn(&self, detached: bool) -> anyhow::Result<std::process::Child> {
        let _ = std::fs::remove_file(self.pid_file());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("console.log"))
            .with_context(|| format!("opening {}/console.log", self.dir.display()))?;
        let mut cmd = Command::new(&self.argv[0]);
        cmd.args(&self.argv[1..])
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        if let Some((uid, gid)) = self.run_as {
            cmd.gid(gid).uid(uid);
        }
        if detached {
            cmd.process_group(0);
        }
        close_inherited_fds(&mut cmd);
        cmd.spawn()
            .with_context(|| format!("starting {}: {:?}", self.name, self.argv))
    }

    /// SIGKILL, as a crash would; waits until the process is gone.
    ///
    /// # Errors
    /// When the node is not running or does not die within 30 s.
    pub fn kill(&self) -> anyhow::Result<()> {
        let pid = self
            .pid()
            .with_context(|| format!("{} is not running", self.name))?;
        signal(pid, "-KILL");
        wait_gone(pid, Duration::from_secs(30))
            .with_context(|| format!("{} (pid {pid}) survived SIGKILL", self.name))
    }

    /// SIGTERM (a clean shutdown), then SIGKILL after `grace`. Returns whether it stopped cleanly.
    #[must_use]
    pub fn stop(&self, grace: Duration) -> bool {
        let Some(pid) = self.pid() else {
            return true;
        };
        signal(pid, "-TERM");
        if wait_gone(pid, grace).is_ok() {
            return true;
        }
        signal(pid, "-KILL");
        let _ = wait_gone(pid, Duration::from_secs(10));
        false
    }

    /// The node's peak resident set size (`VmHWM`) in KiB, while it runs.
    #[must_use]
    pub fn peak_rss_kb(&self) -> Option<u64> {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        s.lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// CPU seconds (user + system, all threads) the server has used.
    #[must_use]
    pub fn cpu_secs(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()?)).ok()?;
        let rest = stat.rsplit(')').next()?;
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|s| s.parse::<u64>().ok());
        // clock ticks are 100 Hz on Linux
        #[allow(clippy::cast_precision_loss)]
        Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
    }

    /// Bytes under the node's data directory.
    #[must_use]
    pub fn data_bytes(&self) -> u64 {
        dir_bytes(&self.dir.join("data"))
    }
}

/// A running cluster (see the module docs).
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Which distribution runs.
    pub flavor: Flavor,
    /// The cluster's directory.
    pub dir: PathBuf,
    /// Its nodes; node 0 is the master.
    pub nodes: Vec<Node>,
}

impl Cluster {
    /// Fetches the distribution if needed, stops a cluster left running in `config.dir` by an
    /// earlier run, and starts a fresh one (empty data directories); returns once it is green.
    /// The launcher processes are returned too: the caller waits on them (or drops them: the
    /// nodes keep running until [`Cluster::stop`]).
    ///
    /// # Errors
    /// When `java` or `mvn` is missing, neither distribution can be fetched, a node fails to
    /// start (the error carries its log's tail) or the cluster is not green in time.
    pub fn start(config: &ClusterConfig) -> anyhow::Result<(Self, Vec<std::process::Child>)> {
        ensure!(config.nodes > 0, "a cluster needs at least one node");
        let state = config.dir.join("cluster.json");
        if let Ok(old) = Self::load(&state) {
            old.stop();
        }
        if config.dir.exists() {
            std::fs::remove_dir_all(&config.dir)
                .with_context(|| format!("removing {}", config.dir.display()))?;
        }
        let (flavor, home) = distribution(config.flavor)?;
        let java_home = java_home()?;
        let run_as = unprivileged_user()?;
        let ports: Vec<(SocketAddr, SocketAddr)> = (0..config.nodes)
            .map(|_| Ok((free_port()?, free_port()?)))
            .collect::<anyhow::Result<_>>()?;
        let seeds = ports
            .iter()
            .map(|(_, t)| t.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let cluster_name = format!("sluice-peers-{}", std::process::id());
        let mut nodes = Vec::new();
        for (i, (http, transport)) in ports.iter().enumerate() {
            let name = format!("node-{i}");
            let dir = config.dir.join(&name);
            for sub in ["data", "logs", "tmp"] {
                std::fs::create_dir_all(dir.join(sub))?;
            }
            copy_dir(&home.join("config"), &dir.join("config"))?;
            let mut settings = vec![
                format!("cluster.name={cluster_name}"),
                format!("node.name={name}"),
                format!("path.data={}", dir.join("data").display()),
                format!("path.logs={}", dir.join("logs").display()),
                "network.host=127.0.0.1".to_owned(),
                format!("http.port={}", http.port()),
                format!("transport.port={}", transport.port()),
                // A shared test machine's disk may be fuller than the default watermarks like.
                "cluster.routing.allocation.disk.threshold_enabled=false".to_owned(),
                // Tests delete indices by pattern.
                "action.destructive_requires_name=false".to_owned(),
            ];
            if config.nodes == 1 {
                settings.push("discovery.type=single-node".to_owned());
            } else {
                settings.push(format!("discovery.seed_hosts={seeds}"));
                let (master_role, initial) = match flavor {
                    Flavor::Elasticsearch => ("master", "cluster.initial_master_nodes"),
                    Flavor::OpenSearch => {
                        ("cluster_manager", "cluster.initial_cluster_manager_nodes")
                    }
                };
                settings.push(format!("{initial}=node-0"));
                settings.push(if i == 0 {
                    format!("node.roles={master_role},data,ingest")
                } else {
                    "node.roles=data,ingest".to_owned()
                });
            }
            if flavor == Flavor::Elasticsearch {
                settings.push("xpack.security.enabled=false".to_owned());
            }
            let mut argv = vec![
                home.join("bin")
                    .join(flavor.program())
                    .display()
                    .to_string(),
            ];
            for s in settings {
                argv.push(format!("-E{s}"));
            }
            argv.push("-p".to_owned());
            argv.push(dir.join("pid").display().to_string());
            let p = flavor.env_prefix();
            let env = vec![
                (format!("{p}_JAVA_HOME"), java_home.display().to_string()),
                (
                    format!("{p}_PATH_CONF"),
                    dir.join("config").display().to_string(),
                ),
                (format!("{p}_TMPDIR"), dir.join("tmp").display().to_string()),
                (
                    format!("{p}_JAVA_OPTS"),
                    format!("-Xms{0}m -Xmx{0}m", config.heap_mb),
                ),
            ];
            if let Some((uid, gid)) = run_as {
                chown_all(&dir, uid, gid)?;
            }
            nodes.push(Node {
                name,
                http: *http,
                transport: *transport,
                dir,
                argv,
                env,
                run_as,
            });
        }
        let cluster = Self {
            flavor,
            dir: config.dir.clone(),
            nodes,
        };
        cluster.save(&state)?;
        let mut children = Vec::new();
        for node in &cluster.nodes {
            children.push(node.spawn(config.detached)?);
        }
        if let Err(e) = cluster.wait_green(config.start_timeout, &mut children) {
            cluster.stop();
            return Err(e);
        }
        Ok((cluster, children))
    }

    /// The cluster whose state file `SLUICE_ES_CLUSTER` names, or `None` with a loud notice on
    /// stderr naming `test` when the variable is unset (the tests that need it then return
    /// early: `cargo xtask test` sets it whenever `java` and `mvn` are present).
    ///
    /// # Panics
    /// When the variable is set but the file cannot be read, or the cluster is not reachable.
    #[must_use]
    #[allow(clippy::print_stderr)]
    pub fn from_env(test: &str) -> Option<Self> {
        let Some(path) = std::env::var_os(ENV) else {
            eprintln!(
                "\n*** SKIPPED {test}: no Elasticsearch cluster ({ENV} is unset). `cargo xtask test` \
                 starts one (it needs `java` and `mvn`); or run `cargo xtask peers es --keep-running` \
                 and export {ENV}=target/peers/cluster/cluster.json ***\n"
            );
            return None;
        };
        let cluster = Self::load(Path::new(&path))
            .unwrap_or_else(|e| panic!("{ENV}={}: {e:#}", Path::new(&path).display()));
        if let Err(e) = cluster.wait_green(Duration::from_secs(120), &mut []) {
            panic!("the Elasticsearch cluster of {ENV} is not healthy: {e:#}");
        }
        Some(cluster)
    }

    /// The nodes' URLs.
    #[must_use]
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(Node::url).collect()
    }

    /// Waits until every node has joined and the cluster is green. `children` are the launcher
    /// processes this process started: if one exits, the wait fails with its node's log.
    ///
    /// # Errors
    /// On timeout or when a node's process exits.
    pub fn wait_green(
        &self,
        deadline: Duration,
        children: &mut [std::process::Child],
    ) -> anyhow::Result<()> {
        let mut watched: Vec<_> = self.nodes.iter().zip(children.iter_mut()).collect();
        self.wait_green_via(
            deadline,
            &mut watched,
            &self.nodes.iter().collect::<Vec<_>>(),
        )
    }

    /// [`Cluster::wait_green`] for the launchers in `watched` (each beside its own node), asking
    /// only the nodes in `ask`.
    fn wait_green_via(
        &self,
        deadline: Duration,
        watched: &mut [(&Node, &mut std::process::Child)],
        ask: &[&Node],
    ) -> anyhow::Result<()> {
        let start = Instant::now();
        let path = format!(
            "/_cluster/health?wait_for_status=green&wait_for_nodes={}&timeout=1s",
            self.nodes.len()
        );
        let mut last = String::new();
        loop {
            for (node, child) in watched.iter_mut() {
                if let Some(status) = child.try_wait()? {
                    bail!(
                        "{} exited while starting ({status}); last lines of its console log:\n{}",
                        node.name,
                        tail(&node.dir.join("console.log"), 20)
                    );
                }
            }
            for node in ask {
                match http(node.http, "GET", &path, None) {
                    Ok((200, body)) => {
                        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                        if v["status"] == "green" && v["number_of_nodes"] == json!(self.nodes.len())
                        {
                            return Ok(());
                        }
                        last = body;
                    }
                    Ok((status, body)) => last = format!("{status} {body}"),
                    Err(e) => last = format!("{e:#}"),
                }
            }
            if start.elapsed() > deadline {
                bail!(
                    "the {} cluster in {} was not green with {} nodes after {deadline:?}; last \
                     answer: {last}",
                    self.flavor.name(),
                    self.dir.display(),
                    self.nodes.len()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Starts node `i` again after [`Node::kill`], from its recorded command, in a process group
    /// of its own, and waits until the cluster is green again. The node outlives the caller: it
    /// is stopped with the cluster, by its pid file.
    ///
    /// # Errors
    /// When the node cannot be spawned or the cluster does not recover in time.
    // The launcher is not waited on: it runs until the cluster stops, after the caller is gone.
    #[allow(clippy::zombie_processes)]
    pub fn restart_node(&self, i: usize) -> anyhow::Result<()> {
        let node = self.nodes.get(i).context("no such node")?;
        ensure!(node.pid().is_none(), "{} is still running", node.name);
        let mut child = node.spawn(true)?;
        // Asked of the restarted node itself: just after a kill, the other nodes may not have
        // noticed yet that it left and still answer green with every node.
        self.wait_green_via(Duration::from_secs(240), &mut [(node, &mut child)], &[node])?;
        ensure!(
            node.pid().is_some(),
            "{} answers but has written no pid file",
            node.name
        );
        Ok(())
    }

    /// Stops every node (SIGTERM, SIGKILL after 60 s).
    pub fn stop(&self) {
        for node in &self.nodes {
            if let Some(pid) = node.pid() {
                signal(pid, "-TERM");
            }
        }
        for node in &self.nodes {
            let _ = node.stop(Duration::from_secs(60));
        }
    }

    /// Writes the state file.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let nodes: Vec<Value> = self
            .nodes
            .iter()
            .map(|n| {
                json!({
                    "name": n.name, "http": n.http.to_string(), "transport": n.transport.to_string(),
                    "url": n.url(), "dir": n.dir, "argv": n.argv,
                    "env": n.env.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
                    "run_as": n.run_as.map(|(u, g)| json!([u, g])),
                })
            })
            .collect();
        let flavor = match self.flavor {
            Flavor::Elasticsearch => "elasticsearch",
            Flavor::OpenSearch => "opensearch",
        };
        let v = json!({"flavor": flavor, "version": self.flavor.name(), "dir": self.dir, "nodes": nodes});
        std::fs::write(path, serde_json::to_vec_pretty(&v)?)
            .with_context(|| format!("writing {}", path.display()))
    }

    /// Reads a state file.
    ///
    /// # Errors
    /// When it is missing or malformed.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let v: Value = serde_json::from_str(&text)?;
        let s = |v: &Value, k: &str| -> anyhow::Result<String> {
            v[k].as_str()
                .map(str::to_owned)
                .with_context(|| format!("{}: [{k}] missing", path.display()))
        };
        let nodes = v["nodes"]
            .as_array()
            .context("no nodes")?
            .iter()
            .map(|n| {
                Ok(Node {
                    name: s(n, "name")?,
                    http: s(n, "http")?.parse()?,
                    transport: s(n, "transport")?.parse()?,
                    dir: s(n, "dir")?.into(),
                    argv: serde_json::from_value(n["argv"].clone())?,
                    env: serde_json::from_value(n["env"].clone())?,
                    run_as: serde_json::from_value(n["run_as"].clone())?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        ensure!(!nodes.is_empty(), "{}: no nodes", path.display());
        Ok(Self {
            flavor: Flavor::parse(&s(&v, "flavor")?)?,
            dir: s(&v, "dir")?.into(),
            nodes,
        })
    }
}

/// Whether `java` and `mvn` are on `PATH` (what fetching and running a peer needs).
#[must_use]
pub fn tools_present() -> bool {
    ["java", "mvn"].iter().all(|t| {
        Command::new(t)
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// The unpacked distribution: `target/peers/<name>`, fetched with `mvn dependency:get` and
/// unzipped when missing. `None` tries Elasticsearch, then OpenSearch.
///
/// # Errors
/// When no distribution can be fetched or unpacked; the error lists each attempt.
pub fn distribution(flavor: Option<Flavor>) -> anyhow::Result<(Flavor, PathBuf)> {
    let choices = match flavor {
        Some(f) => vec![f],
        None => vec![Flavor::Elasticsearch, Flavor::OpenSearch],
    };
    let mut failures = String::new();
    for f in choices {
        match unpacked(f) {
            Ok(home) => return Ok((f, home)),
            Err(e) => {
                let _ = writeln!(failures, "  {}: {e:#}", f.artifact());
            }
        }
    }
    bail!("no peer distribution could be fetched from Maven Central:\n{failures}")
}

fn unpacked(flavor: Flavor) -> anyhow::Result<PathBuf> {
    let peers = workspace_root().join("target/peers");
    let home = peers.join(flavor.name());
    if home.join("bin").join(flavor.program()).exists() {
        return Ok(home);
    }
    let zip = fetch(flavor)?;
    std::fs::create_dir_all(&peers)?;
    let staging = peers.join(format!("{}.unpacking", flavor.name()));
    let _ = std::fs::remove_dir_all(&staging);
    let status = Command::new("unzip")
        .arg("-q")
        .arg(&zip)
        .arg("-d")
        .arg(&staging)
        .status()
        .context("unpacking the distribution needs `unzip`")?;
    ensure!(status.success(), "unzip {} failed: {status}", zip.display());
    std::fs::rename(staging.join(flavor.name()), &home)
        .with_context(|| format!("{} holds no {} folder", zip.display(), flavor.name()))?;
    let _ = std::fs::remove_dir_all(&staging);
    Ok(home)
}

/// The distribution's zip in the local Maven repository, fetched by `mvn dependency:get` when
/// absent.
fn fetch(flavor: Flavor) -> anyhow::Result<PathBuf> {
    let mut parts = flavor.artifact().split(':');
    let (group, artifact, version) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let repo = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
        .join(".m2/repository");
    let zip = repo
        .join(group.replace('.', "/"))
        .join(artifact)
        .join(version)
        .join(format!("{artifact}-{version}.zip"));
    if zip.exists() {
        return Ok(zip);
    }
    let out = Command::new("mvn")
        .args(["-B", "-q", "dependency:get"])
        .arg(format!("-Dartifact={}", flavor.artifact()))
        .output()
        .context("fetching a peer needs Maven (`mvn`) on PATH")?;
    ensure!(
        out.status.success(),
        "mvn dependency:get {} failed: {}",
        flavor.artifact(),
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .chain(String::from_utf8_lossy(&out.stderr).lines())
            .filter(|l| l.contains("ERROR"))
            .take(3)
            .collect::<Vec<_>>()
            .join(" | ")
    );
    ensure!(
        zip.exists(),
        "mvn dependency:get succeeded but {} is missing",
        zip.display()
    );
    Ok(zip)
}

/// `JAVA_HOME`, or the home of the `java` on `PATH`.
fn java_home() -> anyhow::Result<PathBuf> {
    if let Some(h) = std::env::var_os("JAVA_HOME") {
        return Ok(h.into());
    }
    let paths = std::env::var_os("PATH").unwrap_or_default();
    let java = std::env::split_paths(&paths)
        .map(|p| p.join("java"))
        .find(|p| p.exists())
        .context("no `java` on PATH (running a peer needs a JDK 17 or later)")?;
    let real = std::fs::canonicalize(&java)?;
    real.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .with_context(|| format!("no JDK home above {}", real.display()))
}

/// `nobody`'s uid and gid when this process runs as root (Elasticsearch refuses root).
fn unprivileged_user() -> anyhow::Result<Option<(u32, u32)>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u32>().ok())
        .context("no Uid in /proc/self/status")?;
    if euid != 0 {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd")?;
    let ids = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.first() == Some(&"nobody"))
        .and_then(|f| Some((f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?)))
        .context("running as root, and there is no `nobody` user to run Elasticsearch as")?;
    Ok(Some(ids))
}

fn chown_all(dir: &Path, uid: u32, gid: u32) -> anyhow::Result<()> {
    std::os::unix::fs::chown(dir, Some(uid), Some(gid))
        .with_context(|| format!("chown {}", dir.display()))?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            chown_all(&path, uid, gid)?;
        } else {
            std::os::unix::fs::chown(&path, Some(uid), Some(gid))?;
        }
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(_) => e.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

fn free_port() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .args([sig, &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

fn wait_gone(pid: u32, deadline: Duration) -> anyhow::Result<()> {
    let start = Instant::now();
    while start.elapsed() < deadline {
        // a zombie has no memory maps left; treat it as gone
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if stat.is_empty()
            || stat
                .rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("pid {pid} still alive after {deadline:?}")
}

fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// One HTTP/1.0 request to a node (so the answer is never chunked): status and body.
///
/// # Errors
/// On connection errors or an answer without a status line.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> anyhow::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let body = body.unwrap_or("");
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
    if !body.is_empty() {
        let _ = write!(
            req,
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("no HTTP status in the answer to {method} {path}"))?;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    // Elasticsearch chunks larger answers even to HTTP/1.0 requests.
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.contains("chunked"));
    if !chunked {
        return Ok((status, body.to_owned()));
    }
    Ok((
        status,
        dechunk(body).with_context(|| format!("the answer to {method} {path}"))?,
    ))
}

/// The payload of a chunked body (`SIZE\r\nDATA\r\n ... 0\r\n\r\n`).
fn dechunk(mut rest: &str) -> anyhow::Result<String> {
    let mut out = String::with_capacity(rest.len());
    loop {
        let (size, after) = rest.split_once("\r\n").context("truncated chunk size")?;
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
            .with_context(|| format!("bad chunk size {size:?}"))?;
        if size == 0 {
            return Ok(out);
        }
        let data = after.get(..size).context("truncated chunk")?;
        out.push_str(data);
        rest = after.get(size + 2..).context("truncated chunk")?;
    }
}

/// Marks every descriptor above stderr close-on-exec in the child, so a node does not keep
/// what its starter inherited: a `flock` on the build lock held by `flock … cargo test`, pipes
/// of the test harness. A long-lived node that kept them would hold the lock (or the pipe) for
/// as long as it runs.
#[allow(unsafe_code)]
fn close_inherited_fds(cmd: &mut Command) {
    use std::os::unix::process::CommandExt as _;
    // SAFETY: the closure runs in the forked child before exec and makes one system call,
    // close_range(2), which is async-signal-safe and touches no memory of the parent. With
    // CLOSE_RANGE_CLOEXEC the descriptors stay open until exec, so the pipe the standard
    // library uses to report an exec failure keeps working.
    unsafe {
        cmd.pre_exec(|| {
            if libc::close_range(
                3,
                libc::c_uint::MAX,
                libc::CLOSE_RANGE_CLOEXEC as libc::c_int,
            ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
