// What the courses module offers other modules: the catalogue's courses, making a draft e-learning course, and who may see a course.
export { isPublicMember } from './audience';
export { type Course, courseBySlug, createCourse, createDraftElearningCourse, publishedCompetencies, slugify } from './store';
