//! A seccomp filter for every process in a sandbox (bubblewrap's `--seccomp`): system calls that
//! no program of the book needs and that expose the kernel more than the rest (the kernel's
//! keyrings, which namespaces do not separate; io_uring, BPF, perf events, userfaultfd; module,
//! mount and namespace calls; ptrace) fail with EPERM. So do sockets of any family but Unix, IPv4
//! and IPv6: the others are not all confined by a network namespace (vsock reaches the host of a
//! virtual machine, such as WSL2's, whatever namespace the caller is in) and netlink, packet and
//! the rest only widen the kernel's surface. A defence in depth: the namespaces and the missing
//! capabilities already keep most of these from doing harm. The filter is compiled by
//! seccompiler (rust-vmm's, as Firecracker uses) into classic BPF.

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use std::collections::BTreeMap;

/// The system calls refused.
const REFUSED: &[libc::c_long] = &[
    libc::SYS_add_key,
    libc::SYS_keyctl,
    libc::SYS_request_key,
    libc::SYS_bpf,
    libc::SYS_perf_event_open,
    libc::SYS_userfaultfd,
    libc::SYS_io_uring_setup,
    libc::SYS_io_uring_enter,
    libc::SYS_io_uring_register,
    libc::SYS_ptrace,
    libc::SYS_process_vm_writev,
    libc::SYS_kexec_load,
    libc::SYS_kexec_file_load,
    libc::SYS_init_module,
    libc::SYS_finit_module,
    libc::SYS_delete_module,
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_pivot_root,
    libc::SYS_move_mount,
    libc::SYS_open_tree,
    libc::SYS_fsopen,
    libc::SYS_fsmount,
    libc::SYS_unshare,
    libc::SYS_setns,
    libc::SYS_swapon,
    libc::SYS_swapoff,
    libc::SYS_reboot,
    libc::SYS_acct,
    libc::SYS_quotactl,
    libc::SYS_syslog,
    libc::SYS_open_by_handle_at,
    libc::SYS_name_to_handle_at,
    libc::SYS_vhangup,
];

/// The address families `socket` and `socketpair` may ask for (their first argument).
const SOCKET_FAMILIES: &[libc::c_int] = &[libc::AF_UNIX, libc::AF_INET, libc::AF_INET6];

/// The rule that matches (and so refuses) a socket of any other family: every condition of a
/// rule must hold for it to match.
fn other_families() -> Result<SeccompRule, String> {
    let conditions = SOCKET_FAMILIES
        .iter()
        .map(|&family| {
            SeccompCondition::new(0, SeccompCmpArgLen::Dword, SeccompCmpOp::Ne, family as u64)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot build the seccomp filter: {e}"))?;
    SeccompRule::new(conditions).map_err(|e| format!("cannot build the seccomp filter: {e}"))
}

/// The filter as the bytes bubblewrap reads (an array of `struct sock_filter`), or why there is
/// none on this processor.
pub fn program() -> Result<Vec<u8>, String> {
    let arch = if cfg!(target_arch = "x86_64") {
        TargetArch::x86_64
    } else if cfg!(target_arch = "aarch64") {
        TargetArch::aarch64
    } else {
        return Err("no seccomp filter for this processor".into());
    };
    let mut rules: BTreeMap<i64, Vec<_>> = REFUSED.iter().map(|&call| (call, Vec::new())).collect();
    for call in [libc::SYS_socket, libc::SYS_socketpair] {
        rules.insert(call, vec![other_families()?]);
    }
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch,
    )
    .map_err(|e| format!("cannot build the seccomp filter: {e}"))?;
    let program: BpfProgram = filter
        .try_into()
        .map_err(|e| format!("cannot compile the seccomp filter: {e}"))?;
    let mut bytes = Vec::with_capacity(program.len() * 8);
    for instruction in program {
        bytes.extend_from_slice(&instruction.code.to_ne_bytes());
        bytes.push(instruction.jt);
        bytes.push(instruction.jf);
        bytes.extend_from_slice(&instruction.k.to_ne_bytes());
    }
    Ok(bytes)
}
