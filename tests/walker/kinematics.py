"""Kinematic gait model of the synthetic walker.

World frame (metres): X = walking direction, Y = up, Z = X x Y = the subject's
right (right-handed). Each leg moves in its own sagittal plane z = +-hip_half_width
so that, seen from a side camera, the projected knee angle equals the 3D one.

The gait is built from contact events, so the events are exact by construction:

* right heel strike at t = (k - phase) * T, left heel strike half a stride later;
* heel strike (HS) = the instant the heel sphere of the shoe touches the floor;
* toe off (TO)     = the instant the toe sphere of the shoe leaves the floor,
  stance_frac * T after that foot's heel strike.

Stance foot (no sliding): the foot first rotates about the heel sphere centre
(heel rocker, toes come down), lies flat, then rotates about the toe sphere
centre (heel rise) until toe off. A sphere turning about its own centre keeps its
lowest point where it is, so the contact point never slides.

Swing foot: the leg's reach (hip-ankle distance), its angle about the moving hip
and the foot pitch follow quintic Hermite curves that match value, velocity and
acceleration at toe off and heel strike; a lift term shortens the leg in early
swing, solved so the peak swing knee flexion equals knee_peak_deg.

Pelvis: constant forward speed v = step_length * cadence / 60, vertical
oscillation twice per stride (highest when the hip passes over the stance ankle);
mean height and amplitude are solved so that the stance knee is never straighter
than knee_min_deg. Knees come from two-link inverse kinematics (hip -> ankle).
"""

from dataclasses import dataclass

import numpy as np

RIGHT, LEFT = +1, -1          # sign of z for that side
SIDES = {"right": RIGHT, "left": LEFT}


@dataclass(frozen=True)
class Anthropometry:
    """Segment dimensions in metres, from Winter (2009, Fig. 4.1) height ratios."""
    height: float

    @property
    def s(self):            # scale relative to the 1.75 m reference figure
        return self.height / 1.75

    @property
    def sole(self):         # shoe sole under the foot, adds to every height below
        return 0.022 * self.s

    @property
    def thigh(self):        # hip joint centre -> knee centre (0.530 H - 0.285 H)
        return 0.245 * self.height

    @property
    def shank(self):        # knee centre -> ankle centre (0.285 H - 0.039 H)
        return 0.246 * self.height

    @property
    def ankle_height(self):  # ankle centre above the floor, in shoes
        return 0.039 * self.height + self.sole

    @property
    def hip_half_width(self):  # half the distance between hip joint centres (the
        # joints sit ~half-way in from the trochanters, 0.191 H apart)
        return 0.052 * self.height

    @property
    def shoulder_half_width(self):  # half the distance between shoulder joint centres
        return 0.105 * self.height

    @property
    def trunk(self):        # hip joint height (0.530 H) -> shoulder joint height (0.818 H)
        return 0.288 * self.height

    @property
    def upper_arm(self):
        return 0.186 * self.height

    @property
    def forearm(self):
        return 0.146 * self.height

    @property
    def hand(self):
        return 0.108 * self.height

    @property
    def shoe_length(self):  # foot (0.152 H) plus the shoe's overhang
        return 0.152 * self.height + 0.02 * self.s


@dataclass(frozen=True)
class FootGeometry:
    """Rigid shoe in its own frame: origin at the heel sphere centre, x forward, y up.

    At zero pitch both the heel sphere (radius r_heel) and the toe sphere (radius
    r_toe) rest on the floor.
    """
    r_heel: float
    r_toe: float
    toe_c: np.ndarray       # toe sphere centre
    ankle: np.ndarray       # ankle joint centre
    heel_lm: np.ndarray     # BlazePose heel landmark: back of the heel sphere
    toe_lm: np.ndarray      # BlazePose foot index: front of the toe sphere

    @staticmethod
    def from_anthro(a: Anthropometry):
        rh, rt = 0.035 * a.s, 0.025 * a.s
        length = a.shoe_length
        toe_c = np.array([length - rh - rt, rt - rh])
        # lateral malleolus sits ~25 % of the foot length in front of the heel
        ankle = np.array([0.25 * length - rh, a.ankle_height - rh])
        return FootGeometry(rh, rt, toe_c, ankle,
                            heel_lm=np.array([-rh, 0.0]),
                            toe_lm=toe_c + np.array([rt, 0.0]))


@dataclass
class GaitParams:
    cadence: float = 110.0          # steps per minute
    step_length: float = 0.70       # m, heel to heel of consecutive opposite-foot strikes
    stance_pct: float = 60.0        # stance time / stride time * 100, same for both feet
    height: float = 1.75            # subject height, m
    phase: float = 0.1              # right-foot gait phase at t = 0 (0 = right heel strike)
    t_center: float = 0.0           # time at which the pelvis passes x = 0
    knee_min_deg: float = 3.0       # straightest stance knee
    knee_mid_deg: float = 12.0      # knee when the hip passes over the stance ankle
    knee_peak_deg: float = 62.0     # peak swing knee flexion
    heel_strike_pitch_deg: float = 18.0   # foot toes-up angle at heel strike
    toe_off_pitch_deg: float = 40.0       # foot heel-up angle at toe off
    hs_ahead_frac: float = 0.45     # heel ahead of the pelvis at heel strike, in step lengths
    arm_swing_deg: float = 18.0     # shoulder flexion amplitude (about the mean)
    trunk_lean_deg: float = 4.0

    @property
    def stride_time(self):
        return 120.0 / self.cadence

    @property
    def step_time(self):
        return 60.0 / self.cadence

    @property
    def speed(self):
        return self.step_length * self.cadence / 60.0


def _apply(theta, v):
    """Rotate the 2D vector v by theta (array)."""
    c, s = np.cos(theta), np.sin(theta)
    return np.stack([c * v[0] - s * v[1], s * v[0] + c * v[1]], -1)


def quintic(u, d, p0, v0, a0, p1, v1, a1):
    """Quintic Hermite on u in [0,1] spanning d seconds: value p, velocity v and
    acceleration a (per second) at both ends."""
    u2, u3, u4, u5 = u * u, u ** 3, u ** 4, u ** 5
    h0 = 1 - 10 * u3 + 15 * u4 - 6 * u5
    h1 = u - 6 * u3 + 8 * u4 - 3 * u5
    h2 = 0.5 * u2 - 1.5 * u3 + 1.5 * u4 - 0.5 * u5
    h3 = 0.5 * u3 - u4 + 0.5 * u5
    h4 = -4 * u3 + 7 * u4 - 3 * u5
    h5 = 10 * u3 - 15 * u4 + 6 * u5
    return (h0 * p0 + h1 * d * v0 + h2 * d * d * a0
            + h3 * d * d * a1 + h4 * d * v1 + h5 * p1)


def _bump(u):
    """Lift profile: zero value and slope at both ends, peak 1 at u = 1/3."""
    return u * u * (1 - u) ** 4 / ((1 / 3) ** 2 * (2 / 3) ** 4)


class Walker:
    """Steady-state walking; every method takes times in seconds (numpy arrays)."""

    def __init__(self, gp: GaitParams):
        self.gp = gp
        self.a = Anthropometry(gp.height)
        self.foot = FootGeometry.from_anthro(self.a)
        self.T = gp.stride_time
        self.s = gp.stance_pct / 100.0
        if not 0.5 < self.s < 0.8:
            raise ValueError("stance_pct must be between 50 and 80")
        self.S = gp.step_length
        self.v = gp.speed
        self.p_ff = 0.08                 # end of heel rocker (foot flat), cycle fraction
        self.p_hr = 0.55 * self.s        # heel rise starts
        self.th_hs = np.radians(gp.heel_strike_pitch_deg)
        self.th_to = np.radians(gp.toe_off_pitch_deg)
        # heel sphere centre at heel strike, relative to the pelvis x at that instant
        self.hs_ahead = gp.hs_ahead_frac * self.S
        self.y0, self.amp = 0.0, 0.0
        self.lift = 0.0
        self._solve_pelvis()
        self.d_sw = (1 - self.s) * self.T
        self.r_max = self._leg_reach(gp.knee_min_deg)
        self.swing_ends = (self._to_state(), self._hs_state())
        self._solve_lift()
        self._validate()

    # ---- timing -------------------------------------------------------------
    def hs_time(self, side, k):
        """Time of heel strike number k of a side (k may be any integer)."""
        t_r = (np.asarray(k) - self.gp.phase) * self.T
        return t_r if side == RIGHT else t_r + self.T / 2

    def phase_of(self, side, t):
        """(stride index k, phase p in [0,1)) of side at times t; p = 0 at heel strike."""
        q = (np.asarray(t, float) - self.hs_time(side, 0)) / self.T
        # a time that rounding puts a hair before an event belongs to the event,
        # as the event times (hs_time) themselves do
        k = np.floor(q + 1e-9)
        return k.astype(int), np.maximum(q - k, 0.0)

    def events(self, t0, t1):
        """All heel strikes and toe offs with t0 <= time <= t1, time ordered."""
        out = []
        for name, side in SIDES.items():
            k0 = int(np.floor((t0 - self.hs_time(side, 0)) / self.T)) - 1
            k1 = int(np.ceil((t1 - self.hs_time(side, 0)) / self.T)) + 1
            for k in range(k0, k1 + 1):
                hs = float(self.hs_time(side, k))
                for typ, tt in (("heel_strike", hs), ("toe_off", hs + self.s * self.T)):
                    if t0 <= tt <= t1:
                        out.append({"side": name, "type": typ, "time_s": tt})
        out.sort(key=lambda e: e["time_s"])
        return out

    # ---- pelvis -------------------------------------------------------------
    def pelvis_x(self, t):
        return self.v * (np.asarray(t, float) - self.gp.t_center)

    def pelvis_y(self, t):
        _, p = self.phase_of(RIGHT, t)
        return self._hip_rel(p)[..., 1]

    # ---- foot-relative frame ------------------------------------------------
    # Stance and swing are computed per stride in a frame whose x is relative to
    # the heel sphere centre at that stride's heel strike and whose y is height
    # above the floor. The gait is periodic and symmetric, so one set of formulas
    # in the foot's own phase p serves every stride of both feet.
    def _hip_rel(self, p):
        """Hip joint (N,2) in the foot-relative frame at the foot's phase p."""
        p = np.asarray(p, float)
        return np.stack([-self.hs_ahead + 2 * self.S * p,
                         self.y0 + self.amp * np.cos(4 * np.pi * (p - self.p_mid))], -1)

    def _stance(self, p):
        """Foot pose during stance at phase p: heel sphere centre (N,2), pitch (N,)."""
        f = self.foot
        p = np.asarray(p, float)
        u_ff = np.clip(p / self.p_ff, 0, 1)
        u_hr = np.maximum((p - self.p_hr) / (self.s - self.p_hr), 0)
        pitch = np.where(p < self.p_ff, self.th_hs * (1 - u_ff) ** 2,
                         np.where(p < self.p_hr, 0.0, -self.th_to * u_hr ** 2))
        heel_c = np.zeros(p.shape + (2,))
        # heel rise pivots about the toe sphere centre, which stays where it lay
        rising = p >= self.p_hr
        heel_c[rising] = f.toe_c - _apply(pitch[rising], f.toe_c)
        heel_c[..., 1] += f.r_heel
        return heel_c, pitch

    @staticmethod
    def _polar(rel):
        """Ankle relative to hip -> (reach, angle from the downward vertical, + forward)."""
        return np.hypot(rel[..., 0], rel[..., 1]), np.arctan2(rel[..., 0], -rel[..., 1])

    def _to_state(self):
        """Reach, leg angle and pitch with their first two time derivatives at toe off.

        Backward differences of the stance formulas; h is small enough that the
        truncation error is far below anything a video can show.
        """
        h = 1e-5
        p = self.s - h * np.arange(3)
        heel, pitch = self._stance(p)
        ankle = heel + _apply(pitch, self.foot.ankle)
        r, phi = self._polar(ankle - self._hip_rel(p))
        dt = h * self.T

        def derivs(x):
            return (x[0], (3 * x[0] - 4 * x[1] + x[2]) / (2 * dt),
                    (x[0] - 2 * x[1] + x[2]) / dt ** 2)
        return derivs(r), derivs(phi), derivs(pitch)

    def _hs_state(self, heel_speed_frac=0.3):
        """Same quantities at the next heel strike (phase 1 of this stride).

        The leg arrives straight-ish (reach constant, r' = 0) while swinging back
        about the hip, so the heel meets the floor moving forward at
        heel_speed_frac * v and downward; the foot's pitch is held still.
        """
        f = self.foot
        heel = np.array([2 * self.S, f.r_heel])
        ankle = heel + _apply(np.array(self.th_hs), f.ankle)
        r, phi = self._polar(ankle - self._hip_rel(1.0))
        omega = (heel_speed_frac - 1) * self.v / (r * np.cos(phi))
        return (r, 0.0, 0.0), (phi, omega, 0.0), (self.th_hs, 0.0, 0.0)

    def _swing(self, p):
        """Foot pose during swing at phase p in [s, 1): heel sphere centre, pitch."""
        p = np.asarray(p, float)
        u = (p - self.s) / (1 - self.s)
        (r0, phi0, th0), (r1, phi1, th1) = self.swing_ends
        # interpolating reach and leg angle about the moving hip (not x, y) keeps
        # the leg inside its reach and makes the lift a knee bend
        r = quintic(u, self.d_sw, *r0, *r1) - self.lift * _bump(u)
        r = np.minimum(r, self.r_max)
        phi = quintic(u, self.d_sw, *phi0, *phi1)
        ankle = self._hip_rel(p) + r[..., None] * np.stack([np.sin(phi), -np.cos(phi)], -1)
        # Matching the heel-rise pitch rate over the whole swing would carry the
        # plantarflexion on to ~60 deg; a fast-decaying term matches the rate at
        # toe off instead, and the foot returns towards neutral by mid-swing.
        pitch = quintic(u, self.d_sw, th0[0], 0.0, 0.0, *th1)
        pitch += th0[1] * self.d_sw * u * (1 - u) ** 8
        return ankle - _apply(pitch, self.foot.ankle), pitch

    def foot_pose(self, side, t):
        """Heel sphere centre (N,2) in world sagittal (x, y) and pitch (N,) of one foot."""
        t = np.atleast_1d(np.asarray(t, float))
        k, p = self.phase_of(side, t)
        heel = np.empty(p.shape + (2,))
        pitch = np.empty(p.shape)
        st = p < self.s
        heel[st], pitch[st] = self._stance(p[st])
        heel[~st], pitch[~st] = self._swing(p[~st])
        heel[..., 0] += self.pelvis_x(self.hs_time(side, k)) + self.hs_ahead
        return heel, pitch

    def foot_point(self, side, t, local):
        """World sagittal (x, y) of a point given in the foot frame."""
        heel, pitch = self.foot_pose(side, t)
        return heel + _apply(pitch, np.asarray(local, float))

    # ---- legs ---------------------------------------------------------------
    def _knee_ik(self, hip, ankle):
        """Knee (N,2) from two-link IK, knee pointing forward; also the reach ratio."""
        a = self.a
        d_vec = ankle - hip
        d = np.linalg.norm(d_vec, axis=-1)
        reach = d / (a.thigh + a.shank)
        dc = np.minimum(d, (a.thigh + a.shank) * (1 - 1e-12))
        cos_h = (a.thigh ** 2 + dc ** 2 - a.shank ** 2) / (2 * a.thigh * dc)
        ang = np.arccos(np.clip(cos_h, -1, 1))
        unit = d_vec / d[..., None]
        # rotating the hip->ankle direction by +ang (counter-clockwise, x forward,
        # y up) moves the knee forward of the line
        knee = hip + a.thigh * _apply(ang, unit.T)
        return knee, reach

    @staticmethod
    def knee_flexion(hip, knee, ankle):
        """Knee flexion in degrees, 0 = straight, from joint positions (..., dims)."""
        u, w = knee - hip, ankle - knee
        cosang = np.sum(u * w, -1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(w, axis=-1))
        return np.degrees(np.arccos(np.clip(cosang, -1, 1)))

    def leg(self, side, t):
        """Sagittal (x,y) of hip, knee, ankle for one side, plus the IK reach ratio."""
        t = np.asarray(t, float)
        hip = np.stack([self.pelvis_x(t), self.pelvis_y(t)], -1)
        ankle = self.foot_point(side, t, self.foot.ankle)
        knee, reach = self._knee_ik(hip, ankle)
        return hip, knee, ankle, reach

    # ---- solvers ------------------------------------------------------------
    def _stance_leg_flexion(self, p):
        """Stance knee flexion (deg) and reach ratio at phases p for the current pelvis."""
        a = self.a
        heel, pitch = self._stance(p)
        ankle = heel + _apply(pitch, self.foot.ankle)
        d = np.linalg.norm(ankle - self._hip_rel(p), axis=-1)
        cosk = (d ** 2 - a.thigh ** 2 - a.shank ** 2) / (2 * a.thigh * a.shank)
        return np.degrees(np.arccos(np.clip(cosk, -1, 1))), d / (a.thigh + a.shank)

    def _leg_reach(self, flex_deg):
        a = self.a
        k = np.radians(flex_deg)
        return np.sqrt(a.thigh ** 2 + a.shank ** 2 + 2 * a.thigh * a.shank * np.cos(k))

    def _solve_pelvis(self):
        """Choose pelvis mean height y0 and amplitude amp (see module docstring)."""
        f = self.foot
        # phase at which the pelvis passes over the flat-foot ankle
        self.p_mid = (self.hs_ahead + f.ankle[0]) / (2 * self.S)
        p = np.linspace(0, self.s, 601)
        heel, pitch = self._stance(np.array([self.p_mid]))
        ank = heel[0] + _apply(pitch[0], f.ankle)
        dx = ank[0] - (-self.hs_ahead + 2 * self.S * self.p_mid)
        top = ank[1] + np.sqrt(self._leg_reach(self.gp.knee_mid_deg) ** 2 - dx ** 2)

        def margin(amp):
            self.y0, self.amp = top - amp, amp
            flex, reach = self._stance_leg_flexion(p)
            return np.min(np.where(reach < 1, flex, -1.0)) - self.gp.knee_min_deg

        lo, hi = 0.0, 0.25 * self.a.s
        if margin(lo) >= 0:
            amp = lo
        elif margin(hi) < 0:
            raise ValueError("step length %.2f m too long for a %.2f m subject"
                             % (self.S, self.a.height))
        else:
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                lo, hi = (lo, mid) if margin(mid) >= 0 else (mid, hi)
            amp = hi
        self.y0, self.amp = top - amp, amp

    def _solve_lift(self):
        """Swing lift height so that the peak swing knee flexion is knee_peak_deg."""
        t = self.hs_time(RIGHT, 0) + self.T * np.linspace(self.s, 1, 400, endpoint=False)

        def peak(lift):
            self.lift = lift
            hip, knee, ankle, reach = self.leg(RIGHT, t)
            if np.max(reach) >= 1:
                return -1.0
            return np.max(self.knee_flexion(hip, knee, ankle))

        # a negative lift lowers the foot to bend the knee less (short steps);
        # _validate refuses it if that puts the foot through the floor
        lo, hi = -0.2 * self.a.s, 0.6 * self.a.s
        want = self.gp.knee_peak_deg
        if peak(hi) < want:
            raise ValueError("cannot reach %.0f deg swing knee flexion" % want)
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if peak(mid) < want else (lo, mid)
        self.lift = 0.5 * (lo + hi)

    def _validate(self):
        """Refuse parameter sets the model cannot walk: over-stretched legs, a foot
        through the floor in swing, or a swing knee that misses knee_peak_deg."""
        f = self.foot
        t = self.hs_time(RIGHT, 0) + self.T * np.linspace(0, 1, 2000, endpoint=False)
        hip, knee, ankle, reach = self.leg(RIGHT, t)
        low = min((self.foot_point(RIGHT, t, [0.0, 0.0])[:, 1] - f.r_heel).min(),
                  (self.foot_point(RIGHT, t, f.toe_c)[:, 1] - f.r_toe).min())
        peak = self.knee_flexion(hip, knee, ankle).max()
        if reach.max() >= 1 or low < -1e-9 or abs(peak - self.gp.knee_peak_deg) > 0.5:
            raise ValueError("step length %.2f m with stance %.0f %% is outside the walker "
                             "model's range for a %.2f m subject (keep step length about "
                             "0.2-0.45 x height, stance 56-66 %%)"
                             % (self.S, self.gp.stance_pct, self.a.height))
