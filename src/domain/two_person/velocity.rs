//! Velocity: how many batches one member of staff issues, or one customer receives, before
//! the next needs a second person.

/// Batches already issued, counted for the velocity limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Velocity {
    /// By the requesting member of staff in the last hour, and the last day.
    pub agent_hour: i64,
    pub agent_day: i64,
    /// For the target in the last day.
    pub user_day: i64,
}

/// `codes.max_batches_per_agent_hour`, `…_per_agent_day`, `…_per_user_day`: how many
/// batches one person issues, or one customer receives, before the next needs a second
/// person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VelocityLimits {
    pub per_agent_hour: i64,
    pub per_agent_day: i64,
    pub per_user_day: i64,
}

impl Default for VelocityLimits {
    fn default() -> Self {
        Self { per_agent_hour: 5, per_agent_day: 20, per_user_day: 2 }
    }
}

/// One of the three velocity limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VelocityLimit {
    AgentHour,
    AgentDay,
    UserDay,
}

/// A limit that a count has reached: the count and the limit, in batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reached {
    pub limit: VelocityLimit,
    pub count: i64,
    pub max: i64,
}

impl VelocityLimits {
    /// The limits `v` has reached, in the order agent-hour, agent-day, user-day; empty when
    /// one person may still generate. A count at its limit already needs the second
    /// person: with a limit of 2, the third batch of the day waits. The one place the
    /// comparison is made: the warning, the request and the storing transaction ask here.
    pub fn reached(&self, v: Velocity) -> Vec<Reached> {
        [
            (VelocityLimit::AgentHour, v.agent_hour, self.per_agent_hour),
            (VelocityLimit::AgentDay, v.agent_day, self.per_agent_day),
            (VelocityLimit::UserDay, v.user_day, self.per_user_day),
        ]
        .into_iter()
        .filter(|&(_, count, max)| count >= max)
        .map(|(limit, count, max)| Reached { limit, count, max })
        .collect()
    }
}
