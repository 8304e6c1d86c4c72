"""The shipped systemd units (dist/, as configured in the build directory): the server's
hardening is what the issue asks for and `systemd-analyze security --offline=yes` rates it
2.0 or better; the backup service and timer are what the package enables."""

import os
import re
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy  # noqa: E402

UNITS = os.path.join(deploy.BUILD, "dist")
SCORE_RE = re.compile(r"Overall exposure level for (\S+): (\d+(?:\.\d+)?) (\S+)")
REQUIRED = {
    "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
    "PrivateTmp": "yes", "PrivateDevices": "yes", "SystemCallFilter": "@system-service",
    "CapabilityBoundingSet": "", "User": "motcham", "Restart": "on-failure",
}


def read_unit(path):
    """{section: {key: [values]}} (a key may repeat, as in systemd)."""
    out, section = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = out.setdefault(line.strip("[]"), {})
                continue
            k, _, v = line.partition("=")
            section.setdefault(k.strip(), []).append(v.strip())
    return out


def security(path):
    """(score, verdict) of systemd-analyze security --offline=yes, after printing its line."""
    p = deploy.sh(["systemd-analyze", "security", "--offline=yes", "--no-pager", path],
                  check=False)
    m = SCORE_RE.search(p.stdout + p.stderr)
    if not m:
        raise AssertionError("no score from systemd-analyze: %s %s" % (p.stdout[-2000:],
                                                                      p.stderr[-2000:]))
    print("systemd-analyze security --offline=yes %s: %s %s"
          % (os.path.basename(path), m.group(2), m.group(3)))
    return float(m.group(2)), m.group(3)


class Units(unittest.TestCase):
    def test_server_hardening(self):
        u = read_unit(os.path.join(UNITS, "motcham.service"))
        svc = u["Service"]
        for k, v in REQUIRED.items():
            self.assertIn(v, svc.get(k, []), "%s=%s in motcham.service" % (k, v))
        self.assertEqual(svc["ReadWritePaths"], ["/var/lib/motcham /var/log/motcham"],
                         "writable: only its state and its logs")
        self.assertTrue(set(svc["RestrictAddressFamilies"][0].split()) <=
                        {"AF_INET", "AF_INET6", "AF_UNIX"})
        self.assertRegex(svc["ExecStart"][0], r"^/\S*/motcham serve \$MOTCHAM_OPTS$")
        self.assertEqual(svc["EnvironmentFile"][0][0], "-", "starts without a defaults file")
        self.assertIn("HUP", svc["ExecReload"][0], "reload reopens the access log")
        self.assertEqual(u["Install"]["WantedBy"], ["multi-user.target"])

    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze is missing")
    def test_security_scores(self):
        score, verdict = security(os.path.join(UNITS, "motcham.service"))
        self.assertLessEqual(score, 2.0, "motcham.service is rated %s %s" % (score, verdict))
        self.assertIn(verdict, ("OK", "SAFE"))
        score, verdict = security(os.path.join(UNITS, "motcham-backup.service"))
        self.assertLessEqual(score, 2.0, "motcham-backup.service is rated %s" % score)

    def test_backup_units(self):
        svc = read_unit(os.path.join(UNITS, "motcham-backup.service"))
        self.assertEqual(svc["Service"]["Type"], ["oneshot"])
        self.assertEqual(svc["Service"]["User"], ["motcham"])
        self.assertNotIn("Install", svc, "started by its timer only")
        script = svc["Service"]["ExecStart"][0]
        self.assertTrue(script.endswith("/motcham-backup"), script)
        self.assertTrue(os.path.exists(os.path.join(UNITS, "motcham-backup")))
        timer = read_unit(os.path.join(deploy.SRC, "dist", "motcham-backup.timer"))
        self.assertTrue(timer["Timer"]["OnCalendar"], "a calendar time")
        self.assertEqual(timer["Timer"]["Persistent"], ["true"])
        self.assertEqual(timer["Install"]["WantedBy"], ["timers.target"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
