"""Plots written as files a person opens: Pareto fronts, Gantt schedules, rooflines, carbon break-even."""
