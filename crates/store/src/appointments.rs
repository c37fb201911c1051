//! Visits by appointment (网上预约接访) and the reception hall (issue 14,
//! item 3): a receiving unit's reception slots, bookings counted against
//! each slot's capacity inside the booking's transaction, and the hall's
//! check-ins with their queue numbers.

use crate::db::{Result, RowExt, Store, fmt_instant, parse_instant};
use crate::queue::{NewJob, enqueue_in};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use xinfang_domain::unit::UnitId;

/// A reception slot of a unit: the same on every working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRow {
    /// `HH:MM`.
    pub starts: String,
    pub ends: String,
    pub capacity: i64,
}

/// A booking to write: personal data already encrypted by the caller.
#[derive(Debug, Clone)]
pub struct NewAppointment {
    pub unit_id: UnitId,
    pub day: String,
    pub starts: String,
    pub ends: String,
    pub capacity: i64,
    pub topic: Option<String>,
    pub summary: String,
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub id_hash: String,
    pub phone_hash: String,
    pub code_hash: String,
    pub possible_repeat: bool,
    /// The booking number is this prefix and the row's id.
    pub number_prefix: String,
    /// The reminder to queue with the booking (keyed by the booking's id).
    pub reminder: Option<NewJob>,
}

#[derive(Debug, Clone)]
pub struct AppointmentRow {
    pub id: i64,
    pub booking_number: String,
    pub unit_id: UnitId,
    pub day: String,
    pub starts: String,
    pub ends: String,
    pub topic: Option<String>,
    pub summary: String,
    pub name: String,
    /// Encrypted.
    pub id_number: String,
    /// Encrypted.
    pub phone: String,
    pub possible_repeat: bool,
    /// `booked`, `cancelled` or `checked_in`.
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// A check-in to write (personal data encrypted by the caller).
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub unit_id: UnitId,
    pub day: String,
    pub appointment_id: Option<i64>,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub topic: Option<String>,
    pub summary: String,
    pub by: i64,
}

#[derive(Debug, Clone)]
pub struct TicketRow {
    pub id: i64,
    pub unit_id: UnitId,
    pub day: String,
    pub queue_number: i64,
    pub appointment_id: Option<i64>,
    pub booking_number: Option<String>,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub topic: Option<String>,
    pub summary: String,
    /// `waiting`, `called` or `registered`.
    pub status: String,
    pub checked_in_at: DateTime<Utc>,
    pub called_at: Option<DateTime<Utc>>,
    pub petition_number: Option<String>,
}

/// What became of a booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Booking {
    /// Booked: the row's id and the booking number.
    Booked(i64, String),
    /// The slot is full.
    Full,
    /// The person holds an open booking at the unit already (its day).
    AlreadyBooked(String),
}

/// Why a check-in was not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckInRefused {
    /// The appointment is not booked (cancelled, or checked in already).
    NotBooked,
}

const APPOINTMENT_COLUMNS: &str =
    "id, booking_number, unit_id, day, starts, ends, topic, summary, name, id_number, phone, possible_repeat, status, created_at";

fn appointment_row(r: &sqlx::any::AnyRow) -> Result<AppointmentRow> {
    Ok(AppointmentRow {
        id: r.i("id")?,
        booking_number: r.os("booking_number")?.unwrap_or_default(),
        unit_id: r.i("unit_id")?,
        day: r.s("day")?,
        starts: r.s("starts")?,
        ends: r.s("ends")?,
        topic: r.os("topic")?,
        summary: r.s("summary")?,
        name: r.s("name")?,
        id_number: r.s("id_number")?,
        phone: r.s("phone")?,
        possible_repeat: r.i("possible_repeat")? != 0,
        status: r.s("status")?,
        created_at: parse_instant(&r.s("created_at")?)?,
    })
}

const TICKET_COLUMNS: &str = "t.id, t.unit_id, t.day, t.queue_number, t.appointment_id, a.booking_number, t.name, t.id_number, t.phone, t.topic, t.summary, t.status, t.checked_in_at, t.called_at, p.number AS petition_number";
const TICKET_FROM: &str =
    "hall_tickets t LEFT JOIN appointments a ON a.id = t.appointment_id LEFT JOIN petitions p ON p.id = t.petition_id";

fn ticket_row(r: &sqlx::any::AnyRow) -> Result<TicketRow> {
    Ok(TicketRow {
        id: r.i("id")?,
        unit_id: r.i("unit_id")?,
        day: r.s("day")?,
        queue_number: r.i("queue_number")?,
        appointment_id: r.oi("appointment_id")?,
        booking_number: r.os("booking_number")?,
        name: r.s("name")?,
        id_number: r.os("id_number")?,
        phone: r.os("phone")?,
        topic: r.os("topic")?,
        summary: r.s("summary")?,
        status: r.s("status")?,
        checked_in_at: parse_instant(&r.s("checked_in_at")?)?,
        called_at: r.os("called_at")?.map(|s| parse_instant(&s)).transpose()?,
        petition_number: r.os("petition_number")?,
    })
}

/// The key of a booking's reminder job.
pub fn reminder_key(appointment_id: i64) -> String {
    format!("appointment_reminder:{appointment_id}")
}

impl Store {
    /// Replace a unit's reception slots (an empty list closes its booking).
    pub async fn set_reception_slots(&self, unit: UnitId, slots: &[SlotRow]) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("DELETE FROM reception_slots WHERE unit_id = $1").bind(unit).execute(&mut *w.tx).await?;
        for s in slots {
            sqlx::query("INSERT INTO reception_slots (unit_id, starts, ends, capacity) VALUES ($1, $2, $3, $4)")
                .bind(unit)
                .bind(s.starts.clone())
                .bind(s.ends.clone())
                .bind(s.capacity)
                .execute(&mut *w.tx)
                .await?;
        }
        w.commit().await
    }

    /// A unit's reception slots, in the order of the day.
    pub async fn reception_slots(&self, unit: UnitId) -> Result<Vec<SlotRow>> {
        let rows = sqlx::query("SELECT starts, ends, capacity FROM reception_slots WHERE unit_id = $1 ORDER BY starts")
            .bind(unit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(SlotRow { starts: r.s("starts")?, ends: r.s("ends")?, capacity: r.i("capacity")? })).collect()
    }

    /// The units that take bookings (have at least one slot).
    pub async fn units_with_slots(&self) -> Result<Vec<UnitId>> {
        let rows = sqlx::query("SELECT DISTINCT unit_id FROM reception_slots ORDER BY unit_id").fetch_all(&self.pool).await?;
        rows.iter().map(|r| r.i("unit_id")).collect()
    }

    /// Places taken per (day, slot start) of a unit between two days (inclusive).
    pub async fn reception_load(&self, unit: UnitId, from: &str, to: &str) -> Result<HashMap<(String, String), i64>> {
        let rows = sqlx::query("SELECT day, starts, booked FROM reception_load WHERE unit_id = $1 AND day >= $2 AND day <= $3")
            .bind(unit)
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(((r.s("day")?, r.s("starts")?), r.i("booked")?))).collect()
    }

    /// Book a place: the slot's count goes up only while it is below the
    /// capacity (a guarded update in the booking's transaction: on
    /// PostgreSQL the row is locked and the guard checked again, on SQLite
    /// the transaction holds the write lock), then the booking and its
    /// reminder are written. A person, by the keyed hash of the identity
    /// number alone, holds one open booking per unit at a time: keyed on
    /// the phone too, one person took several of a unit's scarce places by
    /// changing the phone. The cost: someone who knows a person's identity
    /// number can hold that person's one booking (docs/grassroots.md "Left
    /// for later"); the person is still received without one at the hall.
    pub async fn book_appointment(&self, a: &NewAppointment, today: &str) -> Result<Booking> {
        let mut w = self.begin_write().await?;
        let held: Option<String> = sqlx::query_scalar(
            "SELECT day FROM appointments WHERE id_hash = $1 AND unit_id = $2 AND status = 'booked' AND day >= $3 ORDER BY day LIMIT 1",
        )
        .bind(a.id_hash.clone())
        .bind(a.unit_id)
        .bind(today.to_string())
        .fetch_optional(&mut *w.tx)
        .await?;
        if let Some(day) = held {
            return Ok(Booking::AlreadyBooked(day));
        }
        sqlx::query("INSERT INTO reception_load (unit_id, day, starts, booked) VALUES ($1, $2, $3, 0) ON CONFLICT (unit_id, day, starts) DO NOTHING")
            .bind(a.unit_id)
            .bind(a.day.clone())
            .bind(a.starts.clone())
            .execute(&mut *w.tx)
            .await?;
        let taken =
            sqlx::query("UPDATE reception_load SET booked = booked + 1 WHERE unit_id = $1 AND day = $2 AND starts = $3 AND booked < $4")
                .bind(a.unit_id)
                .bind(a.day.clone())
                .bind(a.starts.clone())
                .bind(a.capacity)
                .execute(&mut *w.tx)
                .await?
                .rows_affected();
        if taken == 0 {
            return Ok(Booking::Full);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO appointments (code_hash, unit_id, day, starts, ends, topic, summary, name, id_number, phone, id_hash, phone_hash, possible_repeat, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'booked', $14) RETURNING id",
        )
        .bind(a.code_hash.clone())
        .bind(a.unit_id)
        .bind(a.day.clone())
        .bind(a.starts.clone())
        .bind(a.ends.clone())
        .bind(a.topic.clone())
        .bind(a.summary.clone())
        .bind(a.name.clone())
        .bind(a.id_number.clone())
        .bind(a.phone.clone())
        .bind(a.id_hash.clone())
        .bind(a.phone_hash.clone())
        .bind(i64::from(a.possible_repeat))
        .bind(fmt_instant(Utc::now()))
        .fetch_one(&mut *w.tx)
        .await?;
        let number = format!("{}{id:06}", a.number_prefix);
        sqlx::query("UPDATE appointments SET booking_number = $1 WHERE id = $2").bind(number.clone()).bind(id).execute(&mut *w.tx).await?;
        if let Some(job) = &a.reminder {
            let mut job = job.clone();
            job.key = reminder_key(id);
            enqueue_in(&mut w, &job).await?;
        }
        w.commit().await?;
        Ok(Booking::Booked(id, number))
    }

    pub async fn appointment_by_number(&self, number: &str) -> Result<Option<AppointmentRow>> {
        let sql = format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE booking_number = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(number.to_string()).fetch_optional(&self.pool).await?;
        row.as_ref().map(appointment_row).transpose()
    }

    /// The booking with this code hash for a unit and day (check-in).
    pub async fn appointment_by_code(&self, unit: UnitId, day: &str, code_hash: &str) -> Result<Option<AppointmentRow>> {
        let sql = format!(
            "SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE unit_id = $1 AND day = $2 AND code_hash = $3 ORDER BY id DESC LIMIT 1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(unit)
            .bind(day.to_string())
            .bind(code_hash.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(appointment_row).transpose()
    }

    /// Check the code of a booking (its stored keyed hash).
    pub async fn appointment_code_hash(&self, id: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT code_hash FROM appointments WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    /// A unit's bookings on a day (not cancelled ones unless `all`).
    pub async fn appointments_on(&self, unit: UnitId, day: &str, all: bool) -> Result<Vec<AppointmentRow>> {
        let filter = if all { "" } else { " AND status <> 'cancelled'" };
        let sql = format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE unit_id = $1 AND day = $2{filter} ORDER BY starts, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(unit).bind(day.to_string()).fetch_all(&self.pool).await?;
        rows.iter().map(appointment_row).collect()
    }

    /// Cancel a booking that is still booked: its place is freed and its
    /// reminder withdrawn, in one transaction. False if it was not booked.
    pub async fn cancel_appointment(&self, id: i64) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let now = fmt_instant(Utc::now());
        let n = sqlx::query("UPDATE appointments SET status = 'cancelled', cancelled_at = $1 WHERE id = $2 AND status = 'booked'")
            .bind(now.clone())
            .bind(id)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE reception_load SET booked = booked - 1 WHERE booked > 0 AND (unit_id, day, starts) IN \
             (SELECT unit_id, day, starts FROM appointments WHERE id = $1)",
        )
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        sqlx::query(
            "UPDATE jobs SET state = 'done', result = 'cancelled: the appointment was cancelled', finished_at = $1, updated_at = $1 \
             WHERE job_key = $2 AND state = 'pending'",
        )
        .bind(now)
        .bind(reminder_key(id))
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(true)
    }

    /// Check someone in: the day's next queue number of the unit (drawn in
    /// this transaction, unique per unit and day), the ticket, and the
    /// booking marked as checked in.
    pub async fn check_in(&self, t: &NewTicket) -> Result<std::result::Result<(i64, i64), CheckInRefused>> {
        let mut w = self.begin_write().await?;
        if let Some(aid) = t.appointment_id {
            let n = sqlx::query("UPDATE appointments SET status = 'checked_in' WHERE id = $1 AND status = 'booked'")
                .bind(aid)
                .execute(&mut *w.tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Ok(Err(CheckInRefused::NotBooked));
            }
        }
        sqlx::query("INSERT INTO hall_queue (unit_id, day, last_number) VALUES ($1, $2, 0) ON CONFLICT (unit_id, day) DO NOTHING")
            .bind(t.unit_id)
            .bind(t.day.clone())
            .execute(&mut *w.tx)
            .await?;
        let number: i64 =
            sqlx::query_scalar("UPDATE hall_queue SET last_number = last_number + 1 WHERE unit_id = $1 AND day = $2 RETURNING last_number")
                .bind(t.unit_id)
                .bind(t.day.clone())
                .fetch_one(&mut *w.tx)
                .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO hall_tickets (unit_id, day, queue_number, appointment_id, name, id_number, phone, topic, summary, status, checked_in_at, checked_in_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'waiting', $10, $11) RETURNING id",
        )
        .bind(t.unit_id)
        .bind(t.day.clone())
        .bind(number)
        .bind(t.appointment_id)
        .bind(t.name.clone())
        .bind(t.id_number.clone())
        .bind(t.phone.clone())
        .bind(t.topic.clone())
        .bind(t.summary.clone())
        .bind(fmt_instant(Utc::now()))
        .bind(t.by)
        .fetch_one(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(Ok((id, number)))
    }

    /// A unit's tickets of a day, in queue order.
    pub async fn hall_tickets(&self, unit: UnitId, day: &str) -> Result<Vec<TicketRow>> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM {TICKET_FROM} WHERE t.unit_id = $1 AND t.day = $2 ORDER BY t.queue_number");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(unit).bind(day.to_string()).fetch_all(&self.pool).await?;
        rows.iter().map(ticket_row).collect()
    }

    pub async fn hall_ticket(&self, id: i64) -> Result<Option<TicketRow>> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM {TICKET_FROM} WHERE t.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(ticket_row).transpose()
    }

    /// Call a waiting ticket: `id`, or the unit's lowest waiting number of
    /// the day. The called ticket's id, if any was waiting.
    pub async fn call_ticket(&self, unit: UnitId, day: &str, id: Option<i64>, by: i64) -> Result<Option<i64>> {
        let mut w = self.begin_write().await?;
        let target: Option<i64> = match id {
            Some(id) => Some(id),
            None => {
                sqlx::query_scalar(
                    "SELECT id FROM hall_tickets WHERE unit_id = $1 AND day = $2 AND status = 'waiting' ORDER BY queue_number LIMIT 1",
                )
                .bind(unit)
                .bind(day.to_string())
                .fetch_optional(&mut *w.tx)
                .await?
            }
        };
        let Some(target) = target else { return Ok(None) };
        let n = sqlx::query(
            "UPDATE hall_tickets SET status = 'called', called_at = $1, called_by = $2 WHERE id = $3 AND unit_id = $4 AND status = 'waiting'",
        )
        .bind(fmt_instant(Utc::now()))
        .bind(by)
        .bind(target)
        .bind(unit)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok((n == 1).then_some(target))
    }

    /// Link a ticket to the visit registration it became (once; a ticket
    /// not yet called counts as called now).
    pub async fn link_ticket(&self, ticket: i64, petition_id: i64) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let now = fmt_instant(Utc::now());
        let n = sqlx::query(
            "UPDATE hall_tickets SET status = 'registered', petition_id = $1, called_at = COALESCE(called_at, $2) WHERE id = $3 AND petition_id IS NULL",
        )
        .bind(petition_id)
        .bind(now)
        .bind(ticket)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }
}
